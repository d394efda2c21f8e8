package events

// Company events.
const (
	CompanyRegistered = "CompanyRegistered"
)

// CompanyRegisteredData: a company signed up.
type CompanyRegisteredData struct {
	Name string `json:"name"`
}

func init() {
	Register[CompanyRegisteredData](Default, CompanyRegistered, 1, "a company signed up")
}
