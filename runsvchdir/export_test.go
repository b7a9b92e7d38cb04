package runsvchdir

// Run lets the tests run runsvchdir in-process on a directory of their
// own, without $RUNSVDIR (the environment is the process's).
var Run = run
