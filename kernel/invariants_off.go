//go:build !invariants

package kernel

const invariants = false
