package httpapi

import (
	"net/url"
	"strconv"
	"strings"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// validOrigins checks a CORS allowlist: exact http(s) origins, no paths,
// no wildcards, no "null".
func validOrigins(list *[]string) error {
	if list == nil {
		return nil
	}
	var errs []apperr.FieldError
	for i, o := range *list {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") ||
			u.RawQuery != "" || strings.Contains(o, "*") {
			errs = append(errs, apperr.FieldError{Field: "cors_allowed_origins[" + strconv.Itoa(i) + "]", Message: "must be an origin such as https://app.example.com"})
		}
	}
	if len(errs) > 0 {
		return apperr.Validation(errs...)
	}
	return nil
}
