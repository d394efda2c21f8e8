package config

import (
	"errors"
	"fmt"
	"os"
)

// file is a path chatbotd reads later: checking it now makes a typo fail at
// start, naming the setting, rather than at first use.
func (r *reader) file(name string) string {
	v := r.get(name)
	if v == "" {
		return v
	}
	if err := readable(v); err != nil {
		r.fail(name, "%v", err)
	}
	return v
}

func (r *reader) files(name string) []string {
	list := splitList(r.get(name))
	for _, f := range list {
		if err := readable(f); err != nil {
			r.fail(name, "%v", err)
		}
	}
	return list
}

func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("file %s does not exist", path)
		}
		return fmt.Errorf("file %s cannot be read", path)
	}
	return f.Close()
}
