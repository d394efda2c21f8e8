// Package fsx holds file helpers the processes of one DATA_DIR share.
package fsx

import (
	"errors"
	"os"
	"path/filepath"
)

// CreateOnce writes data to path (mode 0600) unless path exists. It writes
// aside, then links into place: a process starting beside this one sees
// either no file or a whole one, and the first to link wins; the others
// keep the winner's file.
func CreateOnce(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}
