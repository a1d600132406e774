module github.com/uringsim/uringsim

go 1.26.0

require (
	github.com/google/btree v1.1.3
	golang.org/x/sys v0.50.0
	pgregory.net/rapid v1.3.0
)
