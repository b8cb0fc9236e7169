// Command devstore runs a MongoDB-wire-compatible server for development and tests:
// FerretDB v1 embedded with its SQLite backend, so no Docker or MongoDB package is needed.
//
// It wraps the embeddable package instead of building cmd/ferretdb, whose start-up
// version check needs files that are not shipped in the Go module.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // -pprof: profile the store under a benchmark
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", ".data/store", "directory for the SQLite databases")
	logLevel := flag.String("log-level", "warn", "log level: debug, info, warn, error")
	pprof := flag.String("pprof", "", "address for Go's /debug/pprof endpoints (off when empty)")
	flag.Parse()

	if *pprof != "" {
		go func() { _ = http.ListenAndServe(*pprof, nil) }()
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "devstore: bad -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	abs, err := filepath.Abs(*dataDir)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devstore: %v\n", err)
		os.Exit(1)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "devstore: cannot create data dir: %v\n", err)
		os.Exit(1)
	}

	socket := filepath.Join(abs, "ferretdb.sock")
	_ = os.Remove(socket)
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "devstore: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan struct{})
	go func() {
		_ = f.Run(ctx)
		close(done)
	}()
	for i := 0; i < 100; i++ { // the unix listener appears once Run has started
		if _, err := os.Stat(socket); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "devstore: %v\n", err)
		os.Exit(1)
	}
	go (&proxy{backend: socket, logger: logger}).listen(l)
	fmt.Fprintf(os.Stderr, "devstore: listening on %s, data in %s\n", *listen, abs)
	<-ctx.Done()
	_ = l.Close()
	<-done
}
