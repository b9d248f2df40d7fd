// Command fakeworkspace serves the Databricks CLI's own in-memory fake workspace
// (github.com/databricks/cli/libs/testserver, the server the CLI's acceptance tests
// deploy into) on 127.0.0.1, so the real `databricks bundle deploy` can deploy into it.
//
// It prints the server's URL on stdout (one line) and serves until killed. Every request
// is logged on stderr as "REQ <status> <method> <path>"; a route the fake does not answer
// is also logged as "UNHANDLED <method> <path>" (the fake replies 501 to it).
//
// Each bearer token gets its own workspace: a token starting with "dbapi1" is a service
// principal, any other token the user tester@databricks.com.
package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/databricks/cli/libs/testserver"
)

// serverT is testserver's TestingT (github.com/databricks/cli/internal/testutil, which an
// outside module cannot import, so the interface is met structurally): the fake reports
// through it what a test would fail on, e.g. a request no handler answers. A long-running
// server logs those instead of failing, so the caller sees them on stderr.
type serverT struct {
	ctx      context.Context
	cleanups []func()
	tempDir  string
}

func (t *serverT) Log(args ...any)                 { log.Print(args...) }
func (t *serverT) Logf(format string, args ...any) { log.Printf(format, args...) }
func (t *serverT) Error(args ...any)               { log.Print(append([]any{"ERROR "}, args...)...) }
func (t *serverT) Errorf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if strings.HasPrefix(msg, "No handler for URL") {
		// The first line names the URL; the rest is advice for the CLI's own test.toml.
		msg = strings.SplitN(msg, "\n", 2)[0]
	}
	log.Print("ERROR " + msg)
}
func (t *serverT) Fatal(args ...any)                 { t.Error(args...) }
func (t *serverT) Fatalf(format string, args ...any) { t.Errorf(format, args...) }
func (t *serverT) Skip(args ...any)                  { t.Log(args...) }
func (t *serverT) Skipf(format string, args ...any)  { t.Logf(format, args...) }

// FailNow would end a test; here it only records, the request's handler still answers.
func (t *serverT) FailNow()                 { log.Print("ERROR FailNow") }
func (t *serverT) Cleanup(f func())         { t.cleanups = append(t.cleanups, f) }
func (t *serverT) Context() context.Context { return t.ctx }
func (t *serverT) Setenv(key, value string) { _ = os.Setenv(key, value) }
func (t *serverT) TempDir() string          { return t.tempDir }
func (t *serverT) Helper()                  {}
func (t *serverT) runCleanups() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
}

func main() {
	log.SetFlags(0)
	log.SetOutput(os.Stderr)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tempDir, err := os.MkdirTemp("", "fakeworkspace-")
	if err != nil {
		log.Fatalf("cannot create a temporary directory: %s", err)
	}
	defer os.RemoveAll(tempDir)

	t := &serverT{ctx: ctx, tempDir: tempDir}
	// testserver.New starts an httptest server, which listens on 127.0.0.1 on a free port.
	server := testserver.New(t)
	testserver.AddDefaultHandlers(server)

	server.ResponseCallback = func(request *testserver.Request, response *testserver.EncodedResponse) {
		log.Printf("REQ %d %s %s", response.StatusCode, request.Method, request.URL.Path)
	}
	// Routes without a handler never reach ResponseCallback: wrap the fallback to log them.
	notFound := server.Router.NotFoundHandler
	server.Router.NotFoundHandler = logUnhandled(notFound)
	server.Router.MethodNotAllowedHandler = logUnhandled(server.Router.MethodNotAllowedHandler)

	fmt.Println(server.URL)
	<-ctx.Done()
	t.runCleanups()
}
