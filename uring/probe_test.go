package uring

import (
	"slices"
	"testing"

	"github.com/uringsim/uringsim/opdef"
	"github.com/uringsim/uringsim/rings"
)

// TestProbeSim: the simulator's probe lists exactly the opcodes the opdef
// table implements, and reports every opcode up to IORING_OP_LAST - 1.
func TestProbeSim(t *testing.T) {
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	r := mustNew(t, m.Backend(), 4, nil)
	defer r.Close()
	p, err := r.RegisterProbe()
	if err != nil {
		t.Fatal(err)
	}
	if p.LastOp != rings.IORING_OP_LAST-1 || len(p.Ops) != rings.IORING_OP_LAST {
		t.Errorf("last_op %d, %d ops; want %d, %d", p.LastOp, len(p.Ops), rings.IORING_OP_LAST-1, rings.IORING_OP_LAST)
	}
	var want []uint8
	for op := range uint8(rings.IORING_OP_LAST) {
		if opdef.Table.Supported(op) {
			want = append(want, op)
		}
	}
	if got := p.SupportedOps(); !slices.Equal(got, want) {
		t.Errorf("probe lists %v, opdef.Table implements %v", got, want)
	}
	for i, op := range p.Ops {
		if op.Op != uint8(i) || op.Resv != 0 || op.Resv2 != 0 || op.Flags&^rings.IO_URING_OP_SUPPORTED != 0 {
			t.Errorf("ops[%d] = %+v", i, op)
		}
	}
	if !p.Supported(rings.IORING_OP_NOP) {
		t.Error("NOP not supported")
	}
	if p.Supported(rings.IORING_OP_LAST) || p.Supported(255) {
		t.Error("opcodes past last_op supported")
	}
}

// TestProbeMatchesHost: the simulator's last_op and ops_len are the host's,
// and every opcode the simulator supports the host supports too.
func TestProbeMatchesHost(t *testing.T) {
	be := hostOrSkip(t)
	hr := mustNew(t, be, 4, nil)
	host, err := hr.RegisterProbe()
	hr.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := NewSimMachine(SimConfig{Seed: 1})
	defer m.Close()
	r := mustNew(t, m.Backend(), 4, nil)
	defer r.Close()
	sim, err := r.RegisterProbe()
	if err != nil {
		t.Fatal(err)
	}
	if sim.LastOp != host.LastOp || len(sim.Ops) != len(host.Ops) {
		t.Errorf("sim last_op %d ops_len %d, host %d %d", sim.LastOp, len(sim.Ops), host.LastOp, len(host.Ops))
	}
	for _, op := range sim.SupportedOps() {
		if !host.Supported(op) {
			t.Errorf("sim supports opcode %d (%s), the host does not", op, opdef.Table.Cold[op].Name)
		}
	}
	t.Logf("sim supports %d of the host's %d opcodes", len(sim.SupportedOps()), len(host.SupportedOps()))
}
