// Command pause is the sandbox ("pause") container of the end-to-end test node: containerd starts
// it first in every Pod to hold the Pod's namespaces. No pause image can be pulled on our machines,
// so scripts/image/build.sh builds this one FROM scratch and containerd pins it as its sandbox image.
//
// It does what the upstream Kubernetes pause does: sleep until SIGTERM or SIGINT, then exit 0, and
// meanwhile reap zombies, because with a shared PID namespace it is PID 1 of the Pod and orphans of
// the other containers become its children.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set by the build (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println("pause", version)
		return
	}
	// Buffered: signals that arrive while a reap is running are not lost.
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range signals {
		if sig == syscall.SIGCHLD {
			reap()
			continue
		}
		// Asked to stop: the sandbox is being torn down, which is success.
		return
	}
}

// reap collects every child that has exited, without blocking on those still running.
func reap() {
	for {
		pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
