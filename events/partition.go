package events

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/nats-io/nats-server/v2/server"
)

// A partitioned projection is consumed in n partitions by tenant: every
// event of a tenant goes to the same partition, so per-tenant order holds
// while partitions are applied side by side. The partition of a tenant is
// what nats-server's subject mapping function partition(n, 1) makes of
// the subject's tenant token (an FNV-1a hash of it, modulo n): the stream
// that feeds the partitions is built with that mapping, and everything
// else that needs a tenant's partition asks the server's own transform, so
// both always agree.

// PartitionMapping is the mapping destination token of the partition of
// the tenant (the first wildcard of a filter events.*.<aggregate>.*.<Type>).
func PartitionMapping(n int) string { return "{{partition(" + strconv.Itoa(n) + ",1)}}" }

var partitioners sync.Map // n -> *partitioner

type partitioner interface{ Match(string) (string, error) }

// TenantPartition is the partition, from 0 to n-1, of tenant's events.
func TenantPartition(tenant string, n int) int {
	if n <= 1 {
		return 0
	}
	t, ok := partitioners.Load(n)
	if !ok {
		tr, err := server.NewSubjectTransform(SubjectPrefix+".*", PartitionMapping(n))
		if err != nil {
			panic(fmt.Sprintf("events: partition transform for %d: %v", n, err)) // a constant form: cannot fail
		}
		t, _ = partitioners.LoadOrStore(n, partitioner(tr))
	}
	out, err := t.(partitioner).Match(SubjectPrefix + "." + tenant)
	if err != nil {
		return 0 // not a subject token: never stored, so never projected
	}
	i, _ := strconv.Atoi(out)
	return i
}

// SubjectTenant is the tenant token of an event subject, "" for another subject.
func SubjectTenant(subject string) string {
	rest, ok := strings.CutPrefix(subject, SubjectPrefix+".")
	if !ok {
		return ""
	}
	tenant, _, _ := strings.Cut(rest, ".")
	return tenant
}
