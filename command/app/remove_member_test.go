package app_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/testkit/scenario"
)

// managers is the company's list of managers as its aggregate holds it.
func (h *harness) managers(companyID string) []string {
	h.t.Helper()
	var c company.Company
	if _, err := h.store.Load(context.Background(), eventstoreCompany(companyID), &c); err != nil {
		h.t.Fatal(err)
	}
	return c.Managers
}

// member adds a member with role to the signed-up company.
func (h *harness) member(res app.SignupResult, email, role string) string {
	h.t.Helper()
	created, err := h.id.AddMember.Handle(context.Background(), app.AddMemberCmd{CompanyID: res.CompanyID,
		Account: app.CreateUserInput{Email: email, Name: "Bob", Password: password, Role: role}})
	if err != nil {
		h.t.Fatal(err)
	}
	return created.UserID
}

func (h *harness) flows(fault app.Faults) (app.RemoveMember, app.PatchUser) {
	managers := app.Managers{Store: h.store, Revoked: h.revoked}
	admins := app.Admins{Store: h.store}
	del := app.DeleteUser{Store: h.store, Admins: admins, Managers: managers, Eraser: app.Eraser{Store: h.store, Creds: h.registrar(nil).Creds}}
	return app.RemoveMember{Store: h.store, Managers: managers, Delete: del, Faults: fault},
		app.PatchUser{Store: h.store, Admins: admins, Managers: managers, Faults: fault}
}

func TestRemovingAManagerWhoseDeleteFailsGivesTheManagerBack(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	bob := h.member(res, "bob@example.com", auth.RoleCompany)
	remove, _ := h.flows(failAt("user"))

	spec := scenario.New(t, h.js).When(func() error {
		_, err := remove.Handle(context.Background(), app.MemberCmd{CompanyID: res.CompanyID, UserID: bob})
		return err
	})
	if !errors.Is(spec.Err(), errInjected) {
		t.Fatalf("got %v, want the injected failure", spec.Err())
	}
	spec.Then(events.CompanyManagersChanged, events.CompanyManagersChanged) // taken off, given back
	if got := h.managers(res.CompanyID); !slices.Contains(got, bob) {
		t.Fatalf("managers %v: the member still exists but its company lost it", got)
	}

	remove, _ = h.flows(nil)
	spec = scenario.New(t, h.js).When(func() error {
		_, err := remove.Handle(context.Background(), app.MemberCmd{CompanyID: res.CompanyID, UserID: bob})
		return err
	})
	if spec.Err() != nil {
		t.Fatal(spec.Err())
	}
	spec.Then(events.CompanyManagersChanged, events.UserDeleted)
	if got := h.managers(res.CompanyID); slices.Contains(got, bob) {
		t.Fatalf("managers %v still list the removed member", got)
	}
}

func TestTheLastManagerCannotBeRemovedNorDemoted(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	remove, patch := h.flows(nil)
	user := auth.RoleUser
	spec := scenario.New(t, h.js).When(func() error {
		_, err := remove.Handle(context.Background(), app.MemberCmd{CompanyID: res.CompanyID, UserID: res.UserID})
		if !errors.Is(err, company.ErrLastManager) {
			t.Errorf("remove: got %v, want the last-manager refusal", err)
		}
		_, err = patch.Handle(context.Background(), app.UserPatch{UserID: res.UserID, Role: &user})
		return err
	})
	if !errors.Is(spec.Err(), company.ErrLastManager) {
		t.Fatalf("demote: got %v, want the last-manager refusal", spec.Err())
	}
	spec.Then()
}

func TestADemotionWhoseUserChangeFailsIsUndoneOnTheCompany(t *testing.T) {
	h := newHarness(t, 4)
	res := h.signup("ada@example.com")
	bob := h.member(res, "bob@example.com", auth.RoleCompany)
	_, patch := h.flows(failAt("user"))
	user := auth.RoleUser
	spec := scenario.New(t, h.js).When(func() error {
		_, err := patch.Handle(context.Background(), app.UserPatch{UserID: bob, Role: &user})
		return err
	})
	if !errors.Is(spec.Err(), errInjected) {
		t.Fatalf("got %v, want the injected failure", spec.Err())
	}
	spec.Then(events.CompanyManagersChanged, events.CompanyManagersChanged)
	if got := h.managers(res.CompanyID); !slices.Contains(got, bob) {
		t.Fatalf("managers %v: the manager was demoted on its company alone", got)
	}
}

func eventstoreCompany(id string) eventstore.Ref {
	return eventstore.Ref{Tenant: id, Type: events.AggregateCompany, ID: id}
}
