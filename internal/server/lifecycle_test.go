package server_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/gaffer-dev/gaffer/internal/server"
	"github.com/gaffer-dev/gaffer/internal/server/servertest"
	"github.com/gaffer-dev/gaffer/internal/startstop"
)

func TestServerStartsOnce(t *testing.T) {
	t.Parallel()
	srv := servertest.Start(t, servertest.Options{})
	if err := srv.Start(context.Background()); !errors.Is(err, startstop.ErrStarted) {
		t.Errorf("second Start: %v, want startstop.ErrStarted", err)
	}
	srv.Stop()
	srv.Stop() // and the cleanup's Shutdown: each a no-op
	if err := srv.Start(context.Background()); !errors.Is(err, startstop.ErrStop) {
		t.Errorf("Start after Stop: %v, want startstop.ErrStop", err)
	}
}

func TestServerStopBeforeStart(t *testing.T) {
	t.Parallel()
	srv, err := server.New(server.Config{Listen: "127.0.0.1:0", DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown after Stop: %v", err)
	}
	if err := srv.Start(context.Background()); !errors.Is(err, startstop.ErrStop) {
		t.Errorf("Start after Stop: %v, want startstop.ErrStop", err)
	}
}

// The end of Start's context stops serving at once (a waiting poll's request
// ends without waiting out its minute); Shutdown then closes the store, and
// the node's data opens again.
func TestServerContextEndStopsServing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	srv, err := server.New(server.Config{Listen: "127.0.0.1:0", DataDir: dir, MaxPollWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c := newClient(srv.URL(), servertest.Commits(srv))
	act := c.activity(t, "idle")
	pollClient := sfn.NewFromConfig(servertest.AWSConfig(srv.URL()), func(o *sfn.Options) { o.RetryMaxAttempts = 1 })
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		_, _ = pollClient.GetActivityTask(context.Background(), &sfn.GetActivityTaskInput{ActivityArn: aws.String(act)})
	}()
	servertest.WaitPolling(t, srv, "sfn:"+act) // the engine queue of an activity (sfn.queueOf)
	cancel()
	select {
	case <-polled:
	case <-time.After(30 * time.Second):
		t.Fatal("a poll still waits 30s after the node's context ended")
	}
	if err := srv.Shutdown(t.Context()); err != nil {
		t.Errorf("Shutdown after the context ended: %v", err)
	}

	srv = servertest.Start(t, servertest.Options{DataDir: dir})
	if _, err := newClient(srv.URL(), servertest.Commits(srv)).DescribeActivity(t.Context(), &sfn.DescribeActivityInput{ActivityArn: aws.String(act)}); err != nil {
		t.Errorf("activity after restart: %v", err)
	}
}
