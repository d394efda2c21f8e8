package company

import (
	"errors"
	"slices"
	"testing"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// fold applies decided events as the store would.
func fold(c *Company, id string, evs []events.Event) {
	for _, ev := range evs {
		env := events.Envelope{Type: ev.Type, AggregateID: id}
		switch d := ev.Data.(type) {
		case events.CompanyRegisteredData:
			c.Apply(env, &d)
		case events.CompanyManagersChangedData:
			c.Apply(env, &d)
		case events.CompanyStatusData:
			c.Apply(env, &d)
		case events.CompanyPlanChangedData:
			c.Apply(env, &d)
		case events.CompanyRenamedData:
			c.Apply(env, &d)
		}
	}
}

func registered(managers ...string) *Company {
	c := &Company{}
	evs, err := c.Register("Acme", managers[0])
	if err != nil {
		panic(err)
	}
	fold(c, "c1", evs)
	if len(managers) > 1 {
		more, err := c.ChangeManagers(managers[1:], nil, false)
		if err != nil {
			panic(err)
		}
		fold(c, "c1", more)
	}
	return c
}

func TestManagers(t *testing.T) {
	cases := []struct {
		name           string
		state          *Company
		added, removed []string
		force          bool
		refused        error
		want           []string // managers after
	}{
		{"a company is registered with its first manager", registered("ada"), nil, nil, false, nil, []string{"ada"}},
		{"a second manager is added", registered("ada"), []string{"bob"}, nil, false, nil, []string{"ada", "bob"}},
		{"one of two managers may go", registered("ada", "bob"), nil, []string{"ada"}, false, nil, []string{"bob"}},
		{"the last manager may not go", registered("ada"), nil, []string{"ada"}, false, ErrLastManager, []string{"ada"}},
		{"the last manager may go for an erasure", registered("ada"), nil, []string{"ada"}, true, nil, nil},
		{"both managers may not go at once", registered("ada", "bob"), nil, []string{"ada", "bob"}, false, ErrLastManager, []string{"ada", "bob"}},
		{"a swap keeps one", registered("ada"), []string{"bob"}, []string{"ada"}, false, nil, []string{"bob"}},
		{"a manager listed twice is one", registered("ada"), []string{"ada"}, nil, false, nil, []string{"ada"}},
		{"removing a non-manager changes nothing", registered("ada"), nil, []string{"zed"}, false, nil, []string{"ada"}},
		{"an unregistered company has no managers", &Company{}, []string{"ada"}, nil, true, apperr.NotFound("company"), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs, err := c.state.ChangeManagers(c.added, c.removed, c.force)
			if c.refused != nil {
				if err == nil || err.Error() != c.refused.Error() || len(evs) != 0 {
					t.Fatalf("got %v %v, want the refusal %v", evs, err, c.refused)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			fold(c.state, "c1", evs)
			if !slices.Equal(c.state.Managers, c.want) {
				t.Fatalf("managers %v, want %v", c.state.Managers, c.want)
			}
		})
	}
}

func TestStatusPlanAndName(t *testing.T) {
	limit := 10
	cases := []struct {
		name    string
		decide  func(c *Company) ([]events.Event, error)
		want    []string // event types
		refused bool
	}{
		{"suspend", func(c *Company) ([]events.Event, error) { return c.SetStatus(StatusSuspended) }, []string{events.CompanySuspended}, false},
		{"the same status changes nothing", func(c *Company) ([]events.Event, error) { return c.SetStatus(StatusActive) }, nil, false},
		{"an unknown status is refused", func(c *Company) ([]events.Event, error) { return c.SetStatus("closed") }, nil, true},
		{"a new plan", func(c *Company) ([]events.Event, error) {
			return c.ChangePlan(Plan{Name: "pro", Limits: events.Limits{DailyRequests: &limit}})
		}, []string{events.CompanyPlanChanged}, false},
		{"the same plan changes nothing", func(c *Company) ([]events.Event, error) {
			return c.ChangePlan(Plan{Name: events.DefaultPlan})
		}, nil, false},
		{"a plan's company-wide limits are checked", func(c *Company) ([]events.Event, error) {
			zero := 0
			return c.ChangePlan(Plan{Name: "pro", CompanyLimits: events.Limits{DailyRequests: &zero}})
		}, nil, true},
		{"rename", func(c *Company) ([]events.Event, error) { return c.Rename("Acme Ltd") }, []string{events.CompanyRenamed}, false},
		{"the same name changes nothing", func(c *Company) ([]events.Event, error) { return c.Rename("Acme") }, nil, false},
		{"a company registers once", func(c *Company) ([]events.Event, error) { return c.Register("Again", "bob") }, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs, err := tc.decide(registered("ada"))
			var ae *apperr.Error
			if tc.refused != (err != nil) || (err != nil && !errors.As(err, &ae)) {
				t.Fatalf("got %v, want refused %v", err, tc.refused)
			}
			var types []string
			for _, e := range evs {
				types = append(types, e.Type)
			}
			if !slices.Equal(types, tc.want) {
				t.Fatalf("got %v, want %v", types, tc.want)
			}
		})
	}
}

func TestAnUnregisteredCompanyRefusesEveryChange(t *testing.T) {
	var c Company
	for name, decide := range map[string]func() ([]events.Event, error){
		"status": func() ([]events.Event, error) { return c.SetStatus(StatusSuspended) },
		"plan":   func() ([]events.Event, error) { return c.ChangePlan(Plan{Name: "pro"}) },
		"rename": func() ([]events.Event, error) { return c.Rename("X") },
	} {
		if evs, err := decide(); err == nil || len(evs) != 0 {
			t.Errorf("%s: got %v %v, want not found", name, evs, err)
		}
	}
}
