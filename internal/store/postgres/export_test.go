package postgres

// KeepTriggers makes a loader load as a role that may not turn triggers off.
func KeepTriggers(l *Loader) { l.noReplica = true }
