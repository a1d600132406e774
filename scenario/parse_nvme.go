package scenario

import (
	"strings"
)

// The simulated NVMe device in scenarios (simulator only; a scenario
// using it says `requires sim`):
//
//	nvme NAME [lba=512|4096] [capacity=BLOCKS] [latency=DUR] [jitter=DUR] [qd=N] [cache=0|1] [data="…"]
//	fault NAME kind=media|eio|short|full [lba=N] [count=N] [times=N] [dir=read|write]
//	fault NAME clear
//	crash NAME
//
// `nvme` declares NAME, the block device opened O_RDWR|O_DIRECT, and its
// parts NAME.buf (the block device without O_DIRECT, through the page
// cache), NAME.ng (the generic character device, for NVMe I/O
// passthrough) and NAME.ctrl (the controller, for admin passthrough).
// `sqe` gains `cmd_op=N`, `cmd="…"` (raw bytes of the SQE's command area)
// and `nvme=KEY:VALUE,…`, a struct nvme_uring_cmd in the command area with
// keys opcode, nsid, addr (MEM[+OFF] or a number), len (data_len), slba
// (cdw10/11), blocks (cdw12 bits 0-15 as blocks-1), fua, cdw10…cdw15 and
// timeout_ms.

// NVMeCmd is `nvme NAME …`.
type NVMeCmd struct {
	Name                  string
	LBA, Capacity, QD     Num
	Latency, Jitter       Dur
	Cache                 Num // 0: no volatile write cache
	Data                  Str
	LatencySet, JitterSet bool
}

// FaultCmd is `fault NAME …`.
type FaultCmd struct {
	Dev               string
	Clear             bool
	Kind              string
	LBA, Count, Times Num
	Dir               string // "", "read" or "write"
}

// CrashCmd is `crash NAME`.
type CrashCmd struct{ Dev string }

func (*NVMeCmd) payload()  {}
func (*FaultCmd) payload() {}
func (*CrashCmd) payload() {}

// nvmeParts are the descriptors a `nvme` object declares beside NAME.
var nvmeParts = []string{".buf", ".ng", ".ctrl"}

func (p *parser) nvme(w token, args []token) (Payload, error) {
	name, args, err := p.leadNew(w, args, ObjNVMe)
	if err != nil {
		return nil, err
	}
	c := &NVMeCmd{Name: name}
	err = p.kvs("nvme", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "lba":
			c.LBA, err = p.num(t, 32, false)
			if err == nil && c.LBA.V != 512 && c.LBA.V != 4096 {
				err = p.errf(t.line, "nvme lba=%s: want 512 or 4096", t.val)
			}
		case "capacity":
			c.Capacity, err = p.nonNegative(t, 63)
		case "qd":
			c.QD, err = p.nonNegative(t, 31)
		case "cache":
			c.Cache, err = p.nonNegative(t, 1)
		case "latency":
			c.Latency, err = p.dur(t)
			c.LatencySet = true
		case "jitter":
			c.Jitter, err = p.dur(t)
			c.JitterSet = true
		case "data":
			c.Data, err = p.str(t)
		default:
			return false, nil
		}
		return true, err
	})
	if err != nil {
		return nil, err
	}
	for _, part := range nvmeParts {
		if err := p.declareName(w.line, name+part, ObjDevice); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func isNVMe(k ObjKind) bool { return k == ObjNVMe }

func (p *parser) fault(w token, args []token) (Payload, error) {
	dev, args, err := p.leadRef(w, args, "nvme device", isNVMe)
	if err != nil {
		return nil, err
	}
	c := &FaultCmd{Dev: dev}
	if len(args) == 1 && !args[0].hasEq && args[0].text == "clear" {
		c.Clear = true
		return c, nil
	}
	err = p.kvs("fault", args, func(t token) (bool, error) {
		var err error
		switch t.key {
		case "kind":
			switch t.val {
			case "media", "eio", "short", "full":
				c.Kind = t.val
			default:
				err = p.errf(t.line, "unknown fault kind %q (want media, eio, short or full)", t.val)
			}
		case "lba":
			c.LBA, err = p.nonNegative(t, 63)
		case "count":
			c.Count, err = p.nonNegative(t, 63)
		case "times":
			c.Times, err = p.nonNegative(t, 31)
		case "dir":
			if t.val != "read" && t.val != "write" {
				err = p.errf(t.line, "fault dir=%q: want read or write", t.val)
			}
			c.Dir = t.val
		default:
			return false, nil
		}
		return true, err
	})
	if err == nil && c.Kind == "" {
		err = p.errf(w.line, "fault: missing kind= (or the word clear)")
	}
	return c, err
}

func (p *parser) crash(w token, args []token) (Payload, error) {
	dev, args, err := p.leadRef(w, args, "nvme device", isNVMe)
	if err != nil {
		return nil, err
	}
	return &CrashCmd{Dev: dev}, p.noArgs(w, args)
}

// NVMeField is one key of an sqe's `nvme=` value.
type NVMeField struct {
	Key  string
	Num  Num
	Mem  string // addr: a mem object
	Off  uint64 // addr: offset into it
	Line int
}

// sqeCmdKV parses the uring_cmd keys of an sqe line: cmd="…" and nvme=….
// It returns nil, nil for another key.
func (p *parser) sqeCmdKV(t token, f *SQEField) (*SQEField, error) {
	switch t.key {
	case "cmd":
		if !t.quoted {
			return nil, p.errf(t.line, "cmd= takes a string")
		}
		if len(t.val) > 80 {
			return nil, p.errf(t.line, "cmd= is %d bytes: the command area holds at most 80", len(t.val))
		}
		f.Field, f.Kind, f.Cmd = "cmd", FieldCmd, []byte(t.val)
		return f, nil
	case "nvme":
		if t.quoted {
			return nil, p.errf(t.line, "nvme= takes KEY:VALUE,… not a string")
		}
		f.Field, f.Kind = "cmd", FieldNVMe
		for _, el := range strings.Split(t.val, ",") {
			k, v, ok := strings.Cut(el, ":")
			if !ok {
				return nil, p.errf(t.line, "bad nvme= element %q (want KEY:VALUE)", el)
			}
			nf := NVMeField{Key: k, Line: t.line}
			sub := token{line: t.line, text: k + "=" + v, key: k, hasEq: true, val: v}
			var err error
			switch k {
			case "addr":
				var isMem bool
				if nf.Mem, nf.Off, isMem, err = p.memAddr(t.line, "nvme addr", v); err == nil && !isMem {
					nf.Num, err = p.num(sub, 64, false)
				}
			case "opcode", "fua":
				nf.Num, err = p.num(sub, 8, false)
			case "blocks":
				nf.Num, err = p.num(sub, 17, false)
				if err == nil && (nf.Num.V == 0 || nf.Num.V > 1<<16) {
					err = p.errf(t.line, "nvme blocks:%s: want 1 to 65536", v)
				}
			case "slba":
				nf.Num, err = p.num(sub, 64, false)
			case "nsid", "len", "cdw10", "cdw11", "cdw12", "cdw13", "cdw14", "cdw15", "timeout_ms":
				nf.Num, err = p.num(sub, 32, false)
			default:
				return nil, p.errf(t.line, "unknown nvme= key %q", k)
			}
			if err != nil {
				return nil, err
			}
			f.NVMe = append(f.NVMe, nf)
		}
		return f, nil
	}
	return nil, nil
}
