// Command gaffer is a self-hosted task coordination server that speaks the
// AWS Step Functions, Simple Workflow Service and Data Pipeline worker APIs.
//
//	gaffer serve [flags]   run a node
//	gaffer bench [flags]   measure the hot paths against a bare HTTP handler
//	gaffer runners [flags] list Data Pipeline task runners, or ask one to stop
//	gaffer runner [flags]  run tasks as shell commands (SFN, SWF, Data Pipeline)
//	gaffer backup [flags] DEST  copy the database, also while a node serves it
//	gaffer check [flags] [FILE] check a database's integrity and summarise it
//	gaffer nodes [flags]   list the nodes sharing a store and their partitions
//	gaffer copy -from SRC -to DST  copy a node's data into an empty store (SQLite, PostgreSQL)
//	gaffer executions [flags]  list Step Functions executions
//	gaffer history [flags] EXEC  print a Step Functions execution's history
//	gaffer queues [flags]  list the queues: depth, tasks started, polls waiting
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command interface {
	Run(ctx context.Context, args []string) error
	Usage()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	commands := map[string]command{
		"serve":   &serveCommand{stderr: stderr},
		"bench":   &benchCommand{stdout: stdout, stderr: stderr},
		"runners": &runnersCommand{stdout: stdout, stderr: stderr},
		"runner":  &runnerCommand{stderr: stderr},
		"backup":  &backupCommand{stdout: stdout, stderr: stderr},
		"check":   &checkCommand{stdout: stdout, stderr: stderr},
		"nodes":   &nodesCommand{stdout: stdout, stderr: stderr},
		"copy":    &copyCommand{stdout: stdout, stderr: stderr},

		"executions": &executionsCommand{stdout: stdout, stderr: stderr},
		"history":    &historyCommand{stdout: stdout, stderr: stderr},
		"queues":     &queuesCommand{stdout: stdout, stderr: stderr},
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "gaffer: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.Run(ctx, args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "gaffer %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprint(w, `gaffer — a self-hosted task coordination server speaking the AWS
Step Functions, SWF and Data Pipeline worker APIs.

Usage:
  gaffer serve [flags]   run a node (embedded SQLite; see 'gaffer serve -h')
  gaffer bench [flags]   benchmark the hot paths (see 'gaffer bench -h')
  gaffer runners [flags] list Data Pipeline task runners, or ask one to stop
  gaffer runner [flags]  run tasks as shell commands (see 'gaffer runner -h')
  gaffer backup [flags] DEST   copy the database, also while a node serves it
  gaffer check [flags] [FILE]  check a database's integrity and summarise it
  gaffer nodes [flags]   list the nodes sharing a store and their partitions
  gaffer copy -from SRC -to DST  copy a node's data into an empty store
                               (sqlite:DIR or postgres://…; see 'gaffer copy -h')
  gaffer executions [flags]    list Step Functions executions (-status, -state-machine, -json)
  gaffer history [flags] EXEC  print a Step Functions execution's history (-json)
  gaffer queues [flags]  list the queues: depth, tasks started, polls waiting (-json)
`)
}
