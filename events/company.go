package events

// Company events.
const (
	CompanyRegistered  = "CompanyRegistered"
	CompanySuspended   = "CompanySuspended"
	CompanyReactivated = "CompanyReactivated"
)

// CompanyRegisteredData: a company signed up.
type CompanyRegisteredData struct {
	Name string `json:"name"`
}

// CompanyStatusData is the data of CompanySuspended and CompanyReactivated.
type CompanyStatusData struct {
	Reason string `json:"reason,omitempty"`
}

func init() {
	Register[CompanyRegisteredData](Default, CompanyRegistered, 1, "a company signed up")
	Register[CompanyStatusData](Default, CompanySuspended, 1, "the company was suspended: its users cannot log in, their tokens and its API keys stop working")
	Register[CompanyStatusData](Default, CompanyReactivated, 1, "a suspended company may work again; its users log in anew")
}
