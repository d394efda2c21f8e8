package main

import (
	"fmt"
	"os/exec"
	"strings"
)

// unlimitedPlan gives the company a plan whose per-chatbot limits are the
// highest there are: a chatbot's own limits never go above its plan's, so
// a load scenario raises the plan, as an administrator would, before it
// raises its chatbot's.
func (p *product) unlimitedPlan(companyID string) error {
	create := exec.Command(productBin, "admin", "create", "--email", "bench-admin@example.com", "--password-stdin")
	create.Env, create.Stdin = p.cmd.Env, strings.NewReader("bench admin password 123\n")
	if out, err := create.CombinedOutput(); err != nil {
		return fmt.Errorf("admin create: %v: %s", err, out)
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := p.call("POST", "/v1/auth/login", "", map[string]string{"email": "bench-admin@example.com", "password": "bench admin password 123"}, &login); err != nil {
		return err
	}
	plan := map[string]any{"plan": map[string]any{"name": "bench",
		"limits": map[string]any{"requests_per_minute": 1000000, "daily_requests": 1000000000, "monthly_requests": 1000000000}}}
	if status, err := p.call("PATCH", "/v1/admin/companies/"+companyID, login.AccessToken, plan, nil); err != nil || status != 200 {
		return fmt.Errorf("plan: %d %v", status, err)
	}
	return nil
}
