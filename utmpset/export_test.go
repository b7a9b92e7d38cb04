package utmpset

// SetPaths points utmpset at other files than the machine's utmp and
// wtmp. Only tests can: the paths are not an option of the program.
func SetPaths(utmp, wtmp string) { utmpPath, wtmpPath = utmp, wtmp }
