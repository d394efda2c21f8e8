package main

import (
	"context"
	"fmt"

	"github.com/chatbotsaas/chatbot/shared/config"
)

// runPersonalData is `chatbotd personal-data rewrap`: the last step of a
// rotation of the personal data key (docs/OPERATIONS.md, Rotating keys).
func runPersonalData(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) != 1 || args[0] != "rewrap" {
		return usageError("the action is rewrap")
	}
	if cfg.PersonalDataPrevious == "" {
		return usageError("rewrap needs the old key as PERSONAL_DATA_PREVIOUS_KEY_FILE and the new one as PERSONAL_DATA_KEY_FILE")
	}
	rt, err := openRuntime(ctx, e, cfg, "personal-data", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	vault, err := rt.personalData(ctx)
	if err != nil {
		return err
	}
	rewrapped, current, err := vault.Rewrap(ctx)
	fmt.Fprintf(e.stdout, "%d data keys rewrapped under the new key, %d already under it\n", rewrapped, current)
	return err
}
