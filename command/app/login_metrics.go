package app

// CountRefusedLogin counts a login refused before an account decided on it
// (an unknown email, the per-address rate): the events of the others count
// them in the store's metrics.
func (id *Identity) CountRefusedLogin(result string) { id.store.Metrics().CountLogin(result) }
