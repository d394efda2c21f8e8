package app_test

import (
	"context"
	"sync"
	"testing"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// Two admins disabling each other at once: one may win, never both, or
// the platform would have no active admin left.
func TestTwoAdminsCannotDisableEachOtherAtOnce(t *testing.T) {
	h := newHarness(t, 4)
	ctx := context.Background()
	var ids []string
	for _, email := range []string{"a@example.com", "b@example.com"} {
		u, err := h.id.CreateUser.Handle(ctx, app.CreateUserInput{Email: email, Name: "Ops", Password: password, Role: auth.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.UserID)
	}
	for round := range 5 {
		disabled := "disabled"
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = h.id.PatchUser.Handle(ctx, app.UserPatch{UserID: id, Status: &disabled})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: %v and %v, want exactly one refused", round, errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !isCode(err, "conflict") {
				t.Fatalf("round %d: refused with %v, want conflict", round, err)
			}
		}
		active := "active"
		for _, id := range ids {
			if _, err := h.id.PatchUser.Handle(ctx, app.UserPatch{UserID: id, Status: &active}); err != nil {
				t.Fatal(err)
			}
		}
	}
}
