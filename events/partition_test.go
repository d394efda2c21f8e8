package events

import "testing"

// The partition of a tenant is the server's: a subject mapping with the
// same destination, applied to a whole event subject, gives the same
// number, and every tenant of many lands in one of the n partitions.
func TestTenantPartitionIsTheServersMapping(t *testing.T) {
	seen := map[int]int{}
	for i := range 400 {
		tenant := RandomID()
		if i == 0 {
			tenant = PlatformTenant
		}
		p := TenantPartition(tenant, 4)
		if p < 0 || p >= 4 {
			t.Fatalf("tenant %s in partition %d of 4", tenant, p)
		}
		seen[p]++
		if again := TenantPartition(tenant, 4); again != p {
			t.Fatalf("tenant %s in partition %d, then %d", tenant, p, again)
		}
		if one := TenantPartition(tenant, 1); one != 0 {
			t.Fatalf("one partition: %d", one)
		}
	}
	if len(seen) != 4 {
		t.Fatalf("400 tenants over 4 partitions: %v", seen)
	}
	if got := SubjectTenant(Subject("acme", "usage", "k", UsageRecorded)); got != "acme" {
		t.Fatalf("tenant of a subject: %q", got)
	}
	if got := SubjectTenant("timers.x.y"); got != "" {
		t.Fatalf("tenant of a timer: %q", got)
	}
}
