package projector

// Invalidate is told, once a batch is committed, which tenants' rows of a
// projection may have changed, so that caches in front of the read models
// retire them. No tenants means any tenant's: the process just took the
// lead and cannot know what its predecessor committed last, or a rebuild
// swapped tables in. It must return quickly (it bounds its own wait).
type Invalidate func(projection string, tenants []string)

// invalidate calls the hook, if any, unless there is nothing to retire
// (tenants empty but not nil).
func (r *Runner) invalidate(projection string, tenants []string) {
	if r.deps.Invalidate != nil && (tenants == nil || len(tenants) > 0) {
		r.deps.Invalidate(projection, tenants)
	}
}

// touch records the tenant of the event being reduced into b.
func (b *Batch) touch(tenant string) {
	if b.tenants == nil {
		b.tenants = map[string]struct{}{}
	}
	b.tenants[tenant] = struct{}{}
}

// touched are the tenants of the events b holds.
func (b *Batch) touched() []string {
	out := make([]string, 0, len(b.tenants))
	for t := range b.tenants {
		out = append(out, t)
	}
	return out
}
