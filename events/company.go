package events

// Company events.
const (
	CompanyRegistered  = "CompanyRegistered"
	CompanySuspended   = "CompanySuspended"
	CompanyReactivated = "CompanyReactivated"
	CompanyPlanChanged = "CompanyPlanChanged"
)

// DefaultPlan is the plan of a new company: every limit from the platform
// configuration's default_limits.
const DefaultPlan = "default"

// CompanyRegisteredData: a company signed up.
type CompanyRegisteredData struct {
	Name string `json:"name"`
}

// CompanyStatusData is the data of CompanySuspended and CompanyReactivated.
type CompanyStatusData struct {
	Reason string `json:"reason,omitempty"`
}

// CompanyPlanChangedData: the company's plan and its limits. Limits are
// each chatbot's: a nil one takes the platform configuration's
// default_limits, and no chatbot or key limit goes above them.
// CompanyLimits are counted across all the company's chatbots and keys
// together; a nil one is no company-wide limit.
type CompanyPlanChangedData struct {
	Plan          string `json:"plan"`
	Limits        Limits `json:"limits"`
	CompanyLimits Limits `json:"company_limits,omitzero"`
}

func init() {
	Register[CompanyRegisteredData](Default, CompanyRegistered, 1, "a company signed up")
	Register[CompanyStatusData](Default, CompanySuspended, 1, "the company was suspended: its users cannot log in, their tokens and its API keys stop working")
	Register[CompanyStatusData](Default, CompanyReactivated, 1, "a suspended company may work again; its users log in anew")
	Register[CompanyPlanChangedData](Default, CompanyPlanChanged, 1, "the company's plan changed: each chatbot's limits (null: the platform default) and the company-wide ones (null: none)")
	Default.Owns(AggregateCompany, CompanyRegistered, CompanySuspended, CompanyReactivated, CompanyPlanChanged)
}
