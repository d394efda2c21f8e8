package tasks

import (
	"fmt"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// decode reads a task's event and its data; an unreadable one can never
// be done.
func decode[T any](m taskrouter.Message) (events.Envelope, *T, error) {
	env, err := m.Event()
	if err != nil {
		return env, nil, fmt.Errorf("%w: %v", taskrouter.ErrCannotDo, err)
	}
	data, err := events.Default.Decode(&env)
	if err != nil {
		return env, nil, fmt.Errorf("%w: %v", taskrouter.ErrCannotDo, err)
	}
	d, ok := data.(*T)
	if !ok {
		return env, nil, fmt.Errorf("%w: %s carries %T", taskrouter.ErrCannotDo, env.Type, data)
	}
	return env, d, nil
}
