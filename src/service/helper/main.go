// hotwatch-service: two jobs Node 20 cannot do with its own APIs, in one small program (standard library
// only) that hotwatch builds with the user's go on first use, like hotwatch-inotify.
//
//	hotwatch-service notify   speaks systemd's notify protocol: Node has no AF_UNIX datagram socket.
//	hotwatch-service init -- CMD ARGS...
//	                          runs CMD as a child subreaper and reaps every orphan: a Node PID 1 only
//	                          reaps the children libuv spawned, so a container without an init would
//	                          collect the app's orphans as zombies.
//	hotwatch-service --probe  exits 0 (hotwatch checks the binary can run at all).
//
// notify protocol, lines on stdin and stdout ('%' is escaped as %25 and newline as %0A):
//
//	in:  <seq> <payload>      one datagram (its assignments separated by escaped newlines)
//	out: <seq> ok             sent
//	     <seq> <ERRNO> <why>  not sent (no listener, queue full for 2 s, ...)
//	     f <ERRNO> <why>      the socket cannot be used at all; exits 3
//
// It sends from one long-lived process, so the receiver can always read the sender's cgroup (a sender
// that has already exited when its datagram is read, as a one-shot notify command has, cannot be
// attributed to the service). The unit needs NotifyAccess=all: the sender is this child, not hotwatch.
// It exits when stdin closes.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: hotwatch-service notify | init -- CMD ARGS... | --probe")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "--probe":
		os.Exit(0)
	case "notify":
		os.Exit(notify(os.Getenv("NOTIFY_SOCKET")))
	case "init":
		args := os.Args[2:]
		if len(args) > 0 && args[0] == "--" {
			args = args[1:]
		}
		os.Exit(runInit(args))
	default:
		fmt.Fprintf(os.Stderr, "hotwatch-service: unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
}

func notify(addr string) int {
	out := bufio.NewWriter(os.Stdout)
	fail := func(err error, why string) int {
		fmt.Fprintf(out, "f %s %s\n", errnoName(err), escape(why))
		out.Flush()
		return 3
	}
	// "@name" is the abstract namespace (Go's syscall maps the '@' to the leading NUL byte).
	if addr == "" || (addr[0] != '/' && addr[0] != '@') {
		return fail(syscall.EAFNOSUPPORT, fmt.Sprintf("NOTIFY_SOCKET=%q: only a path or an @abstract name is supported", addr))
	}
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(err, "socket: "+err.Error())
	}
	// A receiver that stopped reading must not block us forever: after 2 s the send fails, and says so.
	tv := syscall.Timeval{Sec: 2}
	_ = syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
	sa := &syscall.SockaddrUnix{Name: addr}
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return 0 // stdin closed: hotwatch is gone or done
		}
		seq, payload, _ := strings.Cut(strings.TrimSuffix(line, "\n"), " ")
		if err := syscall.Sendto(fd, []byte(unescape(payload)), syscall.MSG_NOSIGNAL, sa); err != nil {
			fmt.Fprintf(out, "%s %s %s\n", seq, errnoName(err), escape(err.Error()))
		} else {
			fmt.Fprintf(out, "%s ok\n", seq)
		}
		if in.Buffered() == 0 {
			out.Flush()
		}
	}
}

// runInit starts argv as its child, forwards signals to it, reaps every process re-parented to it, and
// exits as the child did (128+N for a signal N).
func runInit(argv []string) int {
	if len(argv) == 0 {
		fmt.Fprintln(os.Stderr, "hotwatch-service init: no command")
		return 2
	}
	// Orphans of the whole tree below us come to us, not to PID 1 above us.
	if _, _, e := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); e != 0 {
		fmt.Fprintf(os.Stderr, "hotwatch-service init: cannot become a subreaper: %v\n", e)
		return 1
	}
	sigs := make(chan os.Signal, 64)
	signal.Notify(sigs) // every catchable signal: SIGCHLD to reap, the others to forward
	p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		fmt.Fprintf(os.Stderr, "hotwatch-service init: cannot start %s: %v\n", argv[0], err)
		return 1
	}
	for sig := range sigs {
		s, _ := sig.(syscall.Signal)
		if s != syscall.SIGCHLD {
			_ = syscall.Kill(p.Pid, s)
			continue
		}
		if code, done := reap(p.Pid); done {
			return code
		}
	}
	return 1
}

// reap collects every child that has exited; done once the main child is among them.
func reap(main int) (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if pid <= 0 || err != nil {
			return code, done
		}
		if pid == main {
			done = true
			if ws.Signaled() {
				code = 128 + int(ws.Signal())
			} else {
				code = ws.ExitStatus()
			}
		}
	}
}

// PR_SET_CHILD_SUBREAPER from <linux/prctl.h> (not in Go's syscall package).
const prSetChildSubreaper = 36

func errnoName(err error) string {
	var en syscall.Errno
	if errors.As(err, &en) {
		switch en {
		case syscall.ENOENT:
			return "ENOENT"
		case syscall.ECONNREFUSED:
			return "ECONNREFUSED"
		case syscall.EAGAIN:
			return "EAGAIN"
		case syscall.EACCES:
			return "EACCES"
		case syscall.EPERM:
			return "EPERM"
		case syscall.EAFNOSUPPORT:
			return "EAFNOSUPPORT"
		case syscall.EMSGSIZE:
			return "EMSGSIZE"
		}
		return "E" + strconv.Itoa(int(en))
	}
	return "EIO"
}

func escape(s string) string {
	return strings.NewReplacer("%", "%25", "\n", "%0A").Replace(s)
}

func unescape(s string) string {
	return strings.NewReplacer("%0A", "\n", "%25", "%").Replace(s)
}
