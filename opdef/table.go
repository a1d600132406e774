// Package opdef is the opcode table: io_issue_defs and io_cold_defs, one
// keyed entry per IORING_OP_*, and the ops themselves, one file per op
// family as in the kernel's io_uring/ directory. An entry without Prep is
// an opcode the simulator does not implement yet: it fails with
// -EOPNOTSUPP and the probe reports it unsupported.
//
// Linux: io_uring/opdef.c
package opdef

import (
	"github.com/uringsim/uringsim/kernel"
	"github.com/uringsim/uringsim/rings"
)

// Table is the opcode table every simulated ring uses; pass it to
// kernel.New.
var Table = kernel.OpTable{
	Issue: [rings.IORING_OP_LAST]kernel.IssueDef{
		rings.IORING_OP_NOP: {AuditSkip: true, Iopoll: true, Prep: nopPrep, Issue: nop},
		rings.IORING_OP_READV: {NeedsFile: true, UnboundNonregFile: true, Pollin: true, BufferSelect: false,
			PlugFlag: true, AuditSkip: true, Ioprio: true, Iopoll: true, IopollQueue: true, Vectored: true,
			Prep: readvPrep, Issue: read},
		rings.IORING_OP_WRITEV: {NeedsFile: true, HashRegFile: true, UnboundNonregFile: true, Pollout: true,
			PlugFlag: true, AuditSkip: true, Ioprio: true, Iopoll: true, IopollQueue: true, Vectored: true,
			Prep: writevPrep, Issue: write},
		rings.IORING_OP_POLL_ADD:    {NeedsFile: true, UnboundNonregFile: true, AuditSkip: true, Prep: pollAddPrep, Issue: pollAdd},
		rings.IORING_OP_POLL_REMOVE: {AuditSkip: true, Prep: pollRemovePrep, Issue: pollRemove},
		rings.IORING_OP_READ: {NeedsFile: true, UnboundNonregFile: true, Pollin: true,
			PlugFlag: true, AuditSkip: true, Ioprio: true, Iopoll: true, IopollQueue: true,
			Prep: readPrep, Issue: read},
		rings.IORING_OP_WRITE: {NeedsFile: true, HashRegFile: true, UnboundNonregFile: true, Pollout: true,
			PlugFlag: true, AuditSkip: true, Ioprio: true, Iopoll: true, IopollQueue: true,
			Prep: writePrep, Issue: write},
	},
	Cold: [rings.IORING_OP_LAST]kernel.ColdDef{
		rings.IORING_OP_NOP:              {Name: "NOP"},
		rings.IORING_OP_READV:            {Name: "READV"},
		rings.IORING_OP_WRITEV:           {Name: "WRITEV"},
		rings.IORING_OP_FSYNC:            {Name: "FSYNC"},
		rings.IORING_OP_READ_FIXED:       {Name: "READ_FIXED"},
		rings.IORING_OP_WRITE_FIXED:      {Name: "WRITE_FIXED"},
		rings.IORING_OP_POLL_ADD:         {Name: "POLL_ADD"},
		rings.IORING_OP_POLL_REMOVE:      {Name: "POLL_REMOVE"},
		rings.IORING_OP_SYNC_FILE_RANGE:  {Name: "SYNC_FILE_RANGE"},
		rings.IORING_OP_SENDMSG:          {Name: "SENDMSG"},
		rings.IORING_OP_RECVMSG:          {Name: "RECVMSG"},
		rings.IORING_OP_TIMEOUT:          {Name: "TIMEOUT"},
		rings.IORING_OP_TIMEOUT_REMOVE:   {Name: "TIMEOUT_REMOVE"},
		rings.IORING_OP_ACCEPT:           {Name: "ACCEPT"},
		rings.IORING_OP_ASYNC_CANCEL:     {Name: "ASYNC_CANCEL"},
		rings.IORING_OP_LINK_TIMEOUT:     {Name: "LINK_TIMEOUT"},
		rings.IORING_OP_CONNECT:          {Name: "CONNECT"},
		rings.IORING_OP_FALLOCATE:        {Name: "FALLOCATE"},
		rings.IORING_OP_OPENAT:           {Name: "OPENAT"},
		rings.IORING_OP_CLOSE:            {Name: "CLOSE"},
		rings.IORING_OP_FILES_UPDATE:     {Name: "FILES_UPDATE"},
		rings.IORING_OP_STATX:            {Name: "STATX"},
		rings.IORING_OP_READ:             {Name: "READ"},
		rings.IORING_OP_WRITE:            {Name: "WRITE"},
		rings.IORING_OP_FADVISE:          {Name: "FADVISE"},
		rings.IORING_OP_MADVISE:          {Name: "MADVISE"},
		rings.IORING_OP_SEND:             {Name: "SEND"},
		rings.IORING_OP_RECV:             {Name: "RECV"},
		rings.IORING_OP_OPENAT2:          {Name: "OPENAT2"},
		rings.IORING_OP_EPOLL_CTL:        {Name: "EPOLL"},
		rings.IORING_OP_SPLICE:           {Name: "SPLICE"},
		rings.IORING_OP_PROVIDE_BUFFERS:  {Name: "PROVIDE_BUFFERS"},
		rings.IORING_OP_REMOVE_BUFFERS:   {Name: "REMOVE_BUFFERS"},
		rings.IORING_OP_TEE:              {Name: "TEE"},
		rings.IORING_OP_SHUTDOWN:         {Name: "SHUTDOWN"},
		rings.IORING_OP_RENAMEAT:         {Name: "RENAMEAT"},
		rings.IORING_OP_UNLINKAT:         {Name: "UNLINKAT"},
		rings.IORING_OP_MKDIRAT:          {Name: "MKDIRAT"},
		rings.IORING_OP_SYMLINKAT:        {Name: "SYMLINKAT"},
		rings.IORING_OP_LINKAT:           {Name: "LINKAT"},
		rings.IORING_OP_MSG_RING:         {Name: "MSG_RING"},
		rings.IORING_OP_FSETXATTR:        {Name: "FSETXATTR"},
		rings.IORING_OP_SETXATTR:         {Name: "SETXATTR"},
		rings.IORING_OP_FGETXATTR:        {Name: "FGETXATTR"},
		rings.IORING_OP_GETXATTR:         {Name: "GETXATTR"},
		rings.IORING_OP_SOCKET:           {Name: "SOCKET"},
		rings.IORING_OP_URING_CMD:        {Name: "URING_CMD"},
		rings.IORING_OP_SEND_ZC:          {Name: "SEND_ZC"},
		rings.IORING_OP_SENDMSG_ZC:       {Name: "SENDMSG_ZC"},
		rings.IORING_OP_READ_MULTISHOT:   {Name: "READ_MULTISHOT"},
		rings.IORING_OP_WAITID:           {Name: "WAITID"},
		rings.IORING_OP_FUTEX_WAIT:       {Name: "FUTEX_WAIT"},
		rings.IORING_OP_FUTEX_WAKE:       {Name: "FUTEX_WAKE"},
		rings.IORING_OP_FUTEX_WAITV:      {Name: "FUTEX_WAITV"},
		rings.IORING_OP_FIXED_FD_INSTALL: {Name: "FIXED_FD_INSTALL"},
		rings.IORING_OP_FTRUNCATE:        {Name: "FTRUNCATE"},
		rings.IORING_OP_BIND:             {Name: "BIND"},
		rings.IORING_OP_LISTEN:           {Name: "LISTEN"},
		rings.IORING_OP_RECV_ZC:          {Name: "RECV_ZC"},
		rings.IORING_OP_EPOLL_WAIT:       {Name: "EPOLL_WAIT"},
		rings.IORING_OP_READV_FIXED:      {Name: "READV_FIXED"},
		rings.IORING_OP_WRITEV_FIXED:     {Name: "WRITEV_FIXED"},
		rings.IORING_OP_PIPE:             {Name: "PIPE"},
	},
}
