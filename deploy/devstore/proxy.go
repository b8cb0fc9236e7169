package main

// FerretDB v1's SQLite handler applies update, findAndModify and delete as a read in Go
// followed by a write, with nothing to stop two connections interleaving: concurrent
// `$inc`s on one document lose updates and two conditional claims can both win (measured:
// 50 concurrent $inc -> n=2..4). The CRM's correctness rests on single-document atomic
// updates, so the dev store puts this proxy in front of FerretDB: it frames MongoDB wire
// messages and lets one write command at a time through, while reads stay concurrent.

import (
	"encoding/binary"
	"errors"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// How long the one-write-at-a-time lane was held, and for how many commands: with -pprof,
// /debug/vars shows them, so a benchmark can tell a busy write lane from a busy CPU.
var (
	writeLaneBusy     = expvar.NewInt("write_lane_busy_ns")
	writeLaneCommands = expvar.NewInt("write_lane_commands")
)

const (
	opMsg          = 2013
	flagMoreToCome = 1 << 1
	maxMessage     = 48 * 1024 * 1024
)

// Commands that only read; everything else takes the write lock.
var readOnly = map[string]bool{
	"find": true, "getMore": true, "aggregate": true, "count": true, "distinct": true,
	"listCollections": true, "listIndexes": true, "listDatabases": true, "hello": true,
	"isMaster": true, "ismaster": true, "ping": true, "buildInfo": true, "buildinfo": true,
	"killCursors": true, "endSessions": true, "getParameter": true, "serverStatus": true,
	"dbStats": true, "collStats": true, "dataSize": true, "connectionStatus": true,
	"saslStart": true, "saslContinue": true, "getLog": true, "hostInfo": true,
	"listCommands": true, "whatsmyuri": true, "explain": true, "getCmdLineOpts": true,
}

type proxy struct {
	backend string // unix socket of the embedded FerretDB
	writes  sync.Mutex
	logger  *slog.Logger
}

func readMessage(r io.Reader) ([]byte, error) {
	var header [4]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	size := int(int32(binary.LittleEndian.Uint32(header[:])))
	if size < 16 || size > maxMessage {
		return nil, fmt.Errorf("bad message length %d", size)
	}
	msg := make([]byte, size)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[4:]); err != nil {
		return nil, err
	}
	return msg, nil
}

func opCode(msg []byte) int32    { return int32(binary.LittleEndian.Uint32(msg[12:16])) }
func msgFlags(msg []byte) uint32 { return binary.LittleEndian.Uint32(msg[16:20]) }

// commandName returns the first key of the OP_MSG body section: the command.
func commandName(msg []byte) string {
	if opCode(msg) != opMsg || len(msg) < 21 {
		return ""
	}
	pos := 20
	for pos < len(msg) {
		kind := msg[pos]
		pos++
		if kind == 1 { // document sequence: int32 size then payload; skip it
			if pos+4 > len(msg) {
				return ""
			}
			pos += int(int32(binary.LittleEndian.Uint32(msg[pos : pos+4])))
			continue
		}
		if kind != 0 || pos+5 > len(msg) {
			return ""
		}
		// BSON document: int32 length, then element: type byte, cstring name.
		start := pos + 5
		for end := start; end < len(msg); end++ {
			if msg[end] == 0 {
				return string(msg[start:end])
			}
		}
		return ""
	}
	return ""
}

func (p *proxy) serve(client net.Conn) {
	defer client.Close()
	backend, err := net.Dial("unix", p.backend)
	if err != nil {
		p.logger.Error("backend dial failed", "error", err)
		return
	}
	defer backend.Close()
	for {
		req, err := readMessage(client)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				p.logger.Debug("client read", "error", err)
			}
			return
		}
		write := !readOnly[commandName(req)] && opCode(req) == opMsg
		var held time.Time
		if write {
			p.writes.Lock()
			held = time.Now()
		}
		err = p.roundTrip(client, backend, req)
		if write {
			writeLaneBusy.Add(int64(time.Since(held)))
			writeLaneCommands.Add(1)
			p.writes.Unlock()
		}
		if err != nil {
			p.logger.Debug("round trip", "error", err)
			return
		}
	}
}

func (p *proxy) roundTrip(client, backend net.Conn, req []byte) error {
	if _, err := backend.Write(req); err != nil {
		return err
	}
	if opCode(req) == opMsg && msgFlags(req)&flagMoreToCome != 0 {
		return nil // fire-and-forget write (w:0): no reply comes
	}
	for {
		reply, err := readMessage(backend)
		if err != nil {
			return err
		}
		if _, err := client.Write(reply); err != nil {
			return err
		}
		if opCode(reply) != opMsg || msgFlags(reply)&flagMoreToCome == 0 {
			return nil
		}
	}
}

func (p *proxy) listen(l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			p.logger.Warn("accept", "error", err)
			continue
		}
		go p.serve(conn)
	}
}
