package taskrouter

import (
	"errors"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// middlewares: the first added runs outermost. The poison queue sees the
// error only once the retries are spent; the retries run well within
// AckWait, so the server never sends the message again meanwhile.
func (r *Router) middlewares() error {
	poison, err := middleware.PoisonQueueWithFilter(poisonPublisher{dl: r.opts.DeadLetters, log: r.opts.Log}, "dead_letters",
		func(err error) bool { return !errors.Is(err, ErrNotYet) })
	if err != nil {
		return err
	}
	retry := middleware.Retry{
		MaxRetries: r.opts.Retries, InitialInterval: r.opts.FirstRetry, Multiplier: 2,
		MaxInterval: r.opts.AckWait / 8, MaxElapsedTime: r.opts.AckWait / 2,
	}
	r.wm.AddMiddleware(poison, raiseCannotDo, middleware.CorrelationID, retry.Middleware, middleware.Recoverer, holdCannotDo, r.countTries)
	return nil
}

// metaCannotDo carries, past the retries, the error of a message that can
// never be done. (Retry's ShouldRetry would also stop them, but asking it
// advances the backoff a second step per try.)
const metaCannotDo = "_cannot_do"

// holdCannotDo, inside Retry, ends the retries of a message that can never
// be done: it answers success and notes the error on the message.
func holdCannotDo(h message.HandlerFunc) message.HandlerFunc {
	return func(wm *message.Message) ([]*message.Message, error) {
		out, err := h(wm)
		if errors.Is(err, ErrCannotDo) {
			wm.Metadata.Set(metaCannotDo, err.Error())
			return out, nil
		}
		return out, err
	}
}

// raiseCannotDo, outside Retry, gives the noted error back to the poison queue.
func raiseCannotDo(h message.HandlerFunc) message.HandlerFunc {
	return func(wm *message.Message) ([]*message.Message, error) {
		out, err := h(wm)
		if reason := wm.Metadata.Get(metaCannotDo); err == nil && reason != "" {
			delete(wm.Metadata, metaCannotDo)
			return out, cannotDo(reason)
		}
		return out, err
	}
}

// cannotDo is an ErrCannotDo with its own words.
type cannotDo string

func (e cannotDo) Error() string { return string(e) }
func (e cannotDo) Unwrap() error { return ErrCannotDo }

// countTries records on the message how often it was tried, for its dead
// letter, and logs each failed try once, with what it was.
func (r *Router) countTries(h message.HandlerFunc) message.HandlerFunc {
	return func(wm *message.Message) ([]*message.Message, error) {
		n, _ := strconv.Atoi(wm.Metadata.Get(metaTries))
		wm.Metadata.Set(metaTries, strconv.Itoa(n+1))
		if n > 0 {
			r.opts.Metrics.retry(message.HandlerNameFromCtx(wm.Context()))
		}
		out, err := h(wm)
		if err != nil && !errors.Is(err, ErrCannotDo) {
			r.opts.Log.Warn("task failed; it is tried again, then parked", "task", message.HandlerNameFromCtx(wm.Context()),
				"subject", wm.Metadata.Get(metaSubject), "try", n+1, "err", err)
		}
		return out, err
	}
}
