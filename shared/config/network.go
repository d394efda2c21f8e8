package config

import (
	"net/netip"
	"net/url"
	"strings"
)

// origins are the browser origins CORS lets call the API.
func (r *reader) origins(name string) []string {
	var out []string
	for _, o := range splitList(r.get(name)) {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			r.fail(name, "%q is not an origin such as https://app.example.com", o)
			continue
		}
		out = append(out, strings.ToLower(o))
	}
	return out
}

// prefixes are the networks of the proxies whose X-Forwarded-For is believed;
// a bare address is a network of one.
func (r *reader) prefixes(name string) []netip.Prefix {
	var out []netip.Prefix
	for _, v := range splitList(r.get(name)) {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			a, aerr := netip.ParseAddr(v)
			if aerr != nil {
				r.fail(name, "%q is not an address or CIDR such as 10.0.0.0/8", v)
				continue
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out
}
