// hotwatch-inotify: the native watcher's hands on Linux. It holds one inotify instance and the watches
// the watcher thread asks for, and forwards the kernel's events, including IN_Q_OVERFLOW, which Node's
// fs.watch (libuv) drops. All policy (what to watch, what an event means) stays in the TypeScript engine;
// this program keeps no paths, only id ↔ watch descriptor, so 10,000 watched directories cost it < 1 MB.
//
// Protocol: lines on stdin and stdout. Paths and names escape '%' as %25 and newline as %0A.
//
//	in:  a <id> <path>   watch the directory (IN_ONLYDIR|IN_DONT_FOLLOW); on failure: x <id> <ERRNO>
//	     l <id> <path>   watch the directory as "a" does, THEN read it (so nothing created in between is
//	                     missed): answered with "d" (or "x" when the watch failed, "w" when it was made
//	                     but the directory could not be read). One round trip arms and lists a directory:
//	                     on 10,001 directories the per-directory syscalls cost Node ~0.6 s, this ~0.1 s.
//	     k <kept>        the regular files the next "l" listings name: those whose extension (after the last
//	                     dot, ASCII lower-cased) or whole name is in <kept> ('/'-separated items, each
//	                     escaped: "e.go", "ngo.mod"); "k" alone: every one (the start). The others are never
//	                     relevant to the engine: on the benchmark's tree they were half of what Node read.
//	     c               count the watches the kernel holds for this instance (its /proc/self/fdinfo
//	                     table, ~25 ms of kernel time for 10,000: read here, on this process's own core,
//	                     while Node works); answered "c <n> <µs>" (the count and the microseconds reading
//	                     it took: the audit paces its counts by their cost), or "c -" when it cannot be read
//	     r <id>          drop the watch (the kernel's watch goes with its last id)
//	     s <seq>         barrier: answered with "s <seq>" once every earlier line is done AND every event
//	                     the kernel had queued when the barrier arrived is written before it (so the
//	                     watcher can tell "quiet" from "the helper has not read yet" on a starved machine)
//	out: e <id> <mask hex> <name>   an event in the directory (empty name: the directory itself)
//	     g <id>          the kernel dropped the watch (directory deleted, unmounted)
//	     o               the kernel's event queue overflowed: events were lost
//	     f <ERRNO> <why> cannot watch at all (inotify_init1 failed); exits 3
//	     d <id> <dev> <ino> <birth s> <birth ns> <entries>   a watched directory's identity (as Node's lstat
//	                     gives it: dev = makedev(major, minor), statx birth time, 0 where none) and its
//	                     entries, each a type letter (d dir, f regular file, l symlink, o anything else)
//	                     then the name, separated by '/' (never part of a name)
//	     w <id> <ERRNO>  the watch was made but the directory could not be opened or read
//
// It exits when stdin closes and when the thread that started it dies (PR_SET_PDEATHSIG).
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// IN_CLOSE_WRITE tells the engine that a write is complete: a lone save then builds without waiting out
// the quiet window that would otherwise guess it.
const watchMask = syscall.IN_ATTRIB | syscall.IN_CREATE | syscall.IN_MODIFY | syscall.IN_CLOSE_WRITE | syscall.IN_DELETE |
	syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF | syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO |
	syscall.IN_ONLYDIR | syscall.IN_DONT_FOLLOW

type helper struct {
	fd  int
	mu  sync.Mutex // guards the maps, out and barriers
	out *bufio.Writer
	wd  map[uint32]int32   // id → wd
	ids map[int32][]uint32 // wd → ids (one inode reached by two paths shares one wd)
	// Barriers waiting for the event reader (which answers them after draining the queue), and the pipe
	// that wakes it for them.
	barriers []string
	wake     int
	list     []byte    // the last "d" line's buffer, reused
	keep     *fileKeep // the regular files listings name ("k"); nil: every one. Only the command goroutine uses it.
}

// fileKeep: the regular files a listing names, by extension (with its dot, lower-case) or by whole name.
type fileKeep struct {
	exts  map[string]bool
	names map[string]bool
}

// parseKeep reads "k"'s field; nil (every file) when it is empty.
func parseKeep(field string) *fileKeep {
	if field == "" {
		return nil
	}
	k := &fileKeep{exts: map[string]bool{}, names: map[string]bool{}}
	for _, item := range strings.Split(field, "/") {
		item = unescape(item)
		if strings.HasPrefix(item, "e") {
			k.exts[item[1:]] = true
		} else if strings.HasPrefix(item, "n") {
			k.names[item[1:]] = true
		}
	}
	return k
}

// named reports whether a listing names this regular file. Node lower-cases by Unicode's rules: an
// extension that is not plain ASCII is named, and Node decides.
func (k *fileKeep) named(name []byte) bool {
	if k == nil || k.names[string(name)] {
		return true
	}
	dot := bytes.LastIndexByte(name, '.')
	if dot <= 0 || (dot == 1 && string(name) == "..") {
		return false
	}
	var low [64]byte
	ext := name[dot:]
	if len(ext) > len(low) {
		return true
	}
	for i, c := range ext {
		if c >= 0x80 {
			return true
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	return k.exts[string(low[:len(ext)])]
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "--probe" {
		os.Exit(0) // hotwatch checks the binary can run at all (a noexec cache dir could not)
	}
	runtime.GOMAXPROCS(1)
	debug.SetGCPercent(50)
	// Die with the thread that started us (a terminated worker thread takes its watches along). The
	// parent passes its pid: if it is no longer our parent, it died before the line above took effect.
	_, _, _ = syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0)
	if len(os.Args) > 2 && os.Args[1] == "--parent" && os.Args[2] != strconv.Itoa(os.Getppid()) {
		os.Exit(0)
	}
	out := bufio.NewWriterSize(os.Stdout, 64<<10)
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		fmt.Fprintf(out, "f %s %s\n", errnoName(err), escape(err.Error()))
		out.Flush()
		os.Exit(3)
	}
	var wake [2]int
	if err := syscall.Pipe2(wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		fmt.Fprintf(out, "f %s %s\n", errnoName(err), escape("pipe: "+err.Error()))
		out.Flush()
		os.Exit(3)
	}
	h := &helper{fd: fd, out: out, wd: map[uint32]int32{}, ids: map[int32][]uint32{}, wake: wake[1]}
	go h.readEvents(wake[0])
	h.readCommands()
}

func (h *helper) readCommands() {
	in := bufio.NewReaderSize(os.Stdin, 64<<10)
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			os.Exit(0) // stdin closed: the watcher thread is gone
		}
		line = strings.TrimSuffix(line, "\n")
		op, rest, _ := strings.Cut(line, " ")
		h.mu.Lock()
		switch op {
		case "a":
			idText, p, _ := strings.Cut(rest, " ")
			id := parseID(idText)
			if errno := h.watch(id, unescape(p)); errno != "" {
				fmt.Fprintf(h.out, "x %d %s\n", id, errno)
			}
		case "l":
			idText, p, _ := strings.Cut(rest, " ")
			h.mu.Unlock()
			h.armAndList(parseID(idText), unescape(p))
			h.mu.Lock()
		case "k":
			h.keep = parseKeep(rest)
		case "c":
			h.mu.Unlock()
			began := time.Now()
			n, err := countWatches(h.fd)
			took := time.Since(began).Microseconds()
			h.mu.Lock()
			if err != nil {
				fmt.Fprintf(h.out, "c -\n")
			} else {
				fmt.Fprintf(h.out, "c %d %d\n", n, took)
			}
		case "r":
			h.drop(parseID(rest))
		case "s":
			// Answered by the event reader, after it drained the kernel's queue.
			h.barriers = append(h.barriers, rest)
			_, _ = syscall.Write(h.wake, []byte{1})
		default:
			fmt.Fprintf(os.Stderr, "hotwatch-inotify: unknown command %q\n", line)
		}
		if in.Buffered() == 0 {
			h.out.Flush() // nothing more to do for now: what was answered goes out at once, not with the next barrier
		}
		h.mu.Unlock()
	}
}

// watch adds the watch for id (re-armed under the same id: the old one is forgotten first); the errno's
// name on failure. Caller holds mu, so no event of the new watch is read before its id is known.
func (h *helper) watch(id uint32, p string) string {
	wd, err := syscall.InotifyAddWatch(h.fd, p, watchMask)
	if err != nil {
		return errnoName(err)
	}
	h.drop(id)
	h.wd[id] = int32(wd)
	h.ids[int32(wd)] = append(h.ids[int32(wd)], id)
	return ""
}

// armAndList answers "l": the watch first, then the directory opened (no symlink followed), its identity
// taken from the open descriptor and its entries read. The reading happens without mu (events flow meanwhile).
func (h *helper) armAndList(id uint32, p string) {
	h.mu.Lock()
	if errno := h.watch(id, p); errno != "" {
		fmt.Fprintf(h.out, "x %d %s\n", id, errno)
		h.mu.Unlock()
		return
	}
	h.mu.Unlock()
	line, err := listDir(id, p, h.list[:0], h.keep)
	h.mu.Lock()
	if err != nil {
		fmt.Fprintf(h.out, "w %d %s\n", id, errnoName(err))
	} else {
		h.list = line
		h.out.Write(line)
	}
	h.mu.Unlock()
}

// listDir reads p into its "d" line (appended to buf), naming the regular files `keep` names.
func listDir(id uint32, p string, buf []byte, keep *fileKeep) ([]byte, error) {
	fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			err = syscall.ENOTDIR // a symlink now stands there: replaced, as an lstat would say
		}
		return nil, err
	}
	defer syscall.Close(fd)
	dev, ino, bs, bns, err := identity(fd)
	if err != nil {
		return nil, err
	}
	buf = append(buf, 'd', ' ')
	buf = strconv.AppendUint(buf, uint64(id), 10)
	for _, n := range []uint64{dev, ino} {
		buf = append(buf, ' ')
		buf = strconv.AppendUint(buf, n, 10)
	}
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, bs, 10)
	buf = append(buf, ' ')
	buf = strconv.AppendInt(buf, bns, 10)
	buf = append(buf, ' ')
	if err := readNames(fd); err != nil {
		return nil, err
	}
	// In byte order, as node's readdir (libuv sorts its scandir): the walk's file list comes out sorted
	// by directory, as before, and what sorts it later has little to do.
	sort.Sort(entries)
	first := true
	for _, e := range entries {
		if e.kind == 'f' && !keep.named(store[e.start:e.end]) {
			continue
		}
		if !first {
			buf = append(buf, '/')
		}
		first = false
		buf = append(buf, e.kind)
		buf = appendEscaped(buf, store[e.start:e.end])
	}
	if cap(store) > 1<<20 {
		store, entries = nil, nil // a huge directory's buffers are not kept
	}
	return append(buf, '\n'), nil
}

// The listing's buffers, reused (only the command goroutine lists): getdents64's, the names read, and
// the entries pointing into them. Reused so that arming 10,000 directories makes next to no garbage (the
// helper's RSS stays ~4.5 MB).
var (
	dents   [32 << 10]byte
	store   []byte
	entries byName
)

type entry struct {
	kind       byte
	start, end int // the name: store[start:end]
}

// byName sorts entries by name, in byte order (sort.Sort: no allocation, unlike sort.Slice).
type byName []entry

func (e byName) Len() int      { return len(e) }
func (e byName) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e byName) Less(i, j int) bool {
	return string(store[e[i].start:e[i].end]) < string(store[e[j].start:e[j].end])
}

// readNames reads every entry of the open directory, with its type letter, into store and entries.
func readNames(fd int) error {
	store, entries = store[:0], entries[:0]
	for {
		n, err := syscall.Getdents(fd, dents[:])
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return nil
		}
		for off := 0; off+19 <= n; {
			reclen := int(nativeOrder.Uint16(dents[off+16:]))
			typ := dents[off+18]
			name := dents[off+19 : off+reclen]
			if i := indexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			off += reclen
			if string(name) == "." || string(name) == ".." {
				continue
			}
			start := len(store)
			store = append(store, name...)
			entries = append(entries, entry{kindLetter(fd, typ, name), start, len(store)})
		}
	}
}

// kindLetter: the entry's type from the directory (one fstatat where the filesystem does not say).
func kindLetter(dirfd int, typ byte, name []byte) byte {
	if typ == syscall.DT_UNKNOWN {
		var st syscall.Stat_t
		if err := fstatat(dirfd, string(name), &st); err != nil {
			return 'o' // vanished meanwhile: nothing to watch or read
		}
		switch st.Mode & syscall.S_IFMT {
		case syscall.S_IFDIR:
			typ = syscall.DT_DIR
		case syscall.S_IFREG:
			typ = syscall.DT_REG
		case syscall.S_IFLNK:
			typ = syscall.DT_LNK
		}
	}
	switch typ {
	case syscall.DT_DIR:
		return 'd'
	case syscall.DT_REG:
		return 'f'
	case syscall.DT_LNK:
		return 'l'
	}
	return 'o'
}

func fstatat(dirfd int, name string, st *syscall.Stat_t) error {
	p, err := syscall.BytePtrFromString(name)
	if err != nil {
		return err
	}
	_, _, e := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(st)), atSymlinkNofollow, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

const (
	atSymlinkNofollow = 0x100
	atEmptyPath       = 0x1000
	statxBasicStats   = 0x7ff
	statxBtime        = 0x800
)

// statx's buffers (only the command goroutine lists).
var (
	statxBuf  [256]byte
	emptyPath = []byte{0}
)

// statxNumbers: statx(2) by architecture (the frozen syscall package does not name it).
var statxNumbers = map[string]uintptr{"amd64": 332, "arm64": 291, "riscv64": 291, "loong64": 291, "386": 383, "arm": 397, "ppc64le": 383, "ppc64": 383, "s390x": 379}

// identity of the open directory as Node's lstat reports it: dev = glibc's makedev(major, minor), the
// inode, and the statx birth time (0 where the filesystem keeps none). Without statx (old kernels): fstat,
// no birth time (0: the engine then compares dev and inode only).
func identity(fd int) (dev, ino uint64, birthS, birthNs int64, err error) {
	if nr, ok := statxNumbers[runtime.GOARCH]; ok {
		_, _, e := syscall.Syscall6(nr, uintptr(fd), uintptr(unsafe.Pointer(&emptyPath[0])), atEmptyPath|atSymlinkNofollow, statxBasicStats|statxBtime, uintptr(unsafe.Pointer(&statxBuf[0])), 0)
		if e == 0 {
			return statxFields(statxBuf[:])
		}
		if e != syscall.ENOSYS {
			return 0, 0, 0, 0, e
		}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, 0, 0, 0, err
	}
	return uint64(st.Dev), uint64(st.Ino), 0, 0, nil
}

func statxFields(b []byte) (dev, ino uint64, birthS, birthNs int64, err error) {
	o := nativeOrder
	major, minor := uint64(o.Uint32(b[136:])), uint64(o.Uint32(b[140:]))
	dev = (major&0xfffff000)<<32 | (major&0xfff)<<8 | (minor&0xffffff00)<<12 | minor&0xff
	return dev, o.Uint64(b[32:]), int64(o.Uint64(b[80:])), int64(o.Uint32(b[88:])), nil
}

// nativeOrder: the kernel's structures (statx, getdents64 records) are in the machine's byte order.
var nativeOrder = func() binary.ByteOrder {
	x := uint16(1)
	if *(*byte)(unsafe.Pointer(&x)) == 1 {
		return binary.LittleEndian
	}
	return binary.BigEndian
}()

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// appendEscaped appends a name with '%' and newline escaped (as escape does).
func appendEscaped(buf, name []byte) []byte {
	for _, c := range name {
		switch c {
		case '%':
			buf = append(buf, "%25"...)
		case '\n':
			buf = append(buf, "%0A"...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// drop forgets id; the kernel watch is removed with the last id that shares it. Caller holds mu.
func (h *helper) drop(id uint32) {
	wd, ok := h.wd[id]
	if !ok {
		return
	}
	delete(h.wd, id)
	list := h.ids[wd]
	for i, x := range list {
		if x == id {
			list = append(list[:i], list[i+1:]...)
			break
		}
	}
	if len(list) > 0 {
		h.ids[wd] = list
		return
	}
	delete(h.ids, wd) // its IN_IGNORED then finds no id: not reported
	_, _ = syscall.InotifyRmWatch(h.fd, uint32(wd))
}

// readEvents forwards the kernel's events, and answers barriers: on each wake-up it takes the barriers
// asked for so far, then reads the inotify queue until it is empty, then answers those barriers, so
// every event queued before a barrier arrived is written before its answer.
func (h *helper) readEvents(wake int) {
	buf := make([]byte, 256<<10)
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		h.fail("epoll_create1", err)
	}
	for _, fd := range []int{h.fd, wake} {
		if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd)}); err != nil {
			h.fail("epoll_ctl", err)
		}
	}
	ready := make([]syscall.EpollEvent, 2)
	drain := make([]byte, 64)
	for {
		if _, err := syscall.EpollWait(ep, ready, -1); err != nil && !errors.Is(err, syscall.EINTR) {
			h.fail("waiting for inotify events", err)
		}
		for {
			if n, _ := syscall.Read(wake, drain); n < len(drain) {
				break
			}
		}
		h.mu.Lock()
		barriers := h.barriers
		h.barriers = nil
		h.mu.Unlock()
		for {
			n, err := syscall.Read(h.fd, buf)
			if errors.Is(err, syscall.EAGAIN) {
				break
			}
			if errors.Is(err, syscall.EINTR) {
				continue
			}
			if err != nil {
				h.fail("reading inotify events", err)
			}
			h.mu.Lock()
			for off := 0; off+syscall.SizeofInotifyEvent <= n; {
				wd := int32(binary.LittleEndian.Uint32(buf[off:]))
				mask := binary.LittleEndian.Uint32(buf[off+4:])
				size := int(binary.LittleEndian.Uint32(buf[off+12:]))
				nameStart := off + syscall.SizeofInotifyEvent
				name := strings.TrimRight(string(buf[nameStart:nameStart+size]), "\x00")
				off = nameStart + size
				h.event(wd, mask, name)
			}
			h.mu.Unlock()
		}
		h.mu.Lock()
		for _, seq := range barriers {
			fmt.Fprintf(h.out, "s %s\n", seq)
		}
		h.out.Flush()
		h.mu.Unlock()
	}
}

// fail reports that events cannot be read any more, and exits.
func (h *helper) fail(what string, err error) {
	h.mu.Lock()
	fmt.Fprintf(h.out, "f %s %s\n", errnoName(err), escape(what+": "+err.Error()))
	h.out.Flush()
	os.Exit(3)
}

// event forwards one kernel event to every id of its watch. Caller holds mu.
func (h *helper) event(wd int32, mask uint32, name string) {
	if mask&syscall.IN_Q_OVERFLOW != 0 {
		h.out.WriteString("o\n")
		return
	}
	list := h.ids[wd]
	if mask&syscall.IN_IGNORED != 0 {
		delete(h.ids, wd)
		for _, id := range list {
			delete(h.wd, id)
			fmt.Fprintf(h.out, "g %d\n", id)
		}
		return
	}
	for _, id := range list {
		fmt.Fprintf(h.out, "e %d %x %s\n", id, mask, escape(name))
	}
}

// countWatches counts the "inotify wd:" lines of the instance's fdinfo: one per watch the kernel holds.
func countWatches(fd int) (int, error) {
	f, err := os.Open("/proc/self/fdinfo/" + strconv.Itoa(fd))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	pattern := []byte("\ninotify wd:")
	buf := make([]byte, 64<<10)
	n, keep := 0, 0
	for {
		got, err := f.Read(buf[keep:])
		end := keep + got
		for at := 0; ; {
			i := bytes.Index(buf[at:end], pattern)
			if i < 0 {
				break
			}
			n++
			at += i + len(pattern)
		}
		if err != nil || got == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return 0, err
			}
			return n, nil
		}
		keep = min(len(pattern)-1, end)
		copy(buf, buf[end-keep:end])
	}
}

func parseID(s string) uint32 {
	n, _ := strconv.ParseUint(s, 10, 32)
	return uint32(n)
}

func errnoName(err error) string {
	var no syscall.Errno
	if errors.As(err, &no) {
		switch no {
		case syscall.ENOSPC:
			return "ENOSPC"
		case syscall.EMFILE:
			return "EMFILE"
		case syscall.ENFILE:
			return "ENFILE"
		case syscall.ENOENT:
			return "ENOENT"
		case syscall.ENOTDIR:
			return "ENOTDIR"
		case syscall.EACCES:
			return "EACCES"
		case syscall.EPERM:
			return "EPERM"
		case syscall.ENOMEM:
			return "ENOMEM"
		case syscall.ELOOP:
			return "ELOOP"
		case syscall.ENAMETOOLONG:
			return "ENAMETOOLONG"
		}
		return "E" + strconv.Itoa(int(no))
	}
	return "EIO"
}

func escape(s string) string {
	if !strings.ContainsAny(s, "%\n") {
		return s
	}
	return strings.NewReplacer("%", "%25", "\n", "%0A").Replace(s)
}

func unescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return strings.NewReplacer("%0A", "\n", "%25", "%").Replace(s)
}
