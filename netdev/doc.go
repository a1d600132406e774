// Package netdev is the simulated network: a loopback NIC and the sockets
// on it, as vfs files. AF_INET and AF_INET6 stream (TCP) and datagram
// (UDP) sockets talk over the loopback device; AF_UNIX stream and datagram
// sockets (socketpair, or bound to abstract or path names) talk directly,
// as in Linux. Every socket is a vfs.File whose Op is the socket itself: it
// implements vfs.Socket (the proto_ops the system calls and io_uring's net
// ops call), read and write, and poll on one wait queue (sk_wq) woken with
// the EPOLL* mask of each change, so io_uring's poll entries sit on it.
//
// Buffers have the kernel's default sizes and account memory the way it
// does where the difference shows: an AF_UNIX send charges the skb's
// truesize to the sender until the receiver reads it (SIOCOUTQ reports
// it), a full send buffer makes a nonblocking send -EAGAIN and a blocking
// one sleep. TCP keeps data the peer's receive buffer cannot take in the
// sender's write queue (SIOCOUTQ) and moves it as the receiver reads.
//
// Delivery: with the default Config (no latency) an inet packet reaches
// its receiver before the send returns, as loopback's softirq does in
// practice. With a Latency, delivery runs on the world's timer thread after
// a seeded latency (a recorded choice), in order per receiver; datagrams
// may then also be reordered or lost (Config.Reorder, Config.Loss).
// AF_UNIX traffic never crosses the NIC.
//
// Locking: one mutex per Stack (the namespace's socket lock) guards every
// socket's state; the wakeups of a critical section are collected and
// issued, in order, right after the lock is released (Linux calls
// sk_data_ready under the socket lock; waking outside it keeps a poll
// wake function free to take any lock).
//
// Linux: net/socket.c, net/ipv4/tcp*.c, net/ipv4/udp.c, net/unix/af_unix.c, drivers/net/loopback.c
package netdev
