package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gaffer-dev/gaffer/internal/server"
)

// nodesCommand lists the nodes that share a server's store, and the
// partitions each holds.
type nodesCommand struct {
	stdout, stderr io.Writer
}

func (c *nodesCommand) flags() (*flag.FlagSet, *operator) {
	fs := flag.NewFlagSet("gaffer nodes", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	op := &operator{}
	fs.StringVar(&op.endpoint, "endpoint", "http://127.0.0.1:7710", "any gaffer node")
	fs.StringVar(&op.caFile, "ca-file", "", "PEM certificates to trust for an https endpoint, instead of the system's (the server's --tls-cert if self-signed)")
	fs.Usage = func() {
		fmt.Fprintf(c.stderr, "Usage: gaffer nodes [-endpoint URL] [-ca-file FILE]\n\nLists the nodes sharing the store of the node at -endpoint: each one's address, lease epoch and\nexpiry, and the partitions whose deadlines it keeps. With AWS_ACCESS_KEY_ID and\nAWS_SECRET_ACCESS_KEY set, the request is signed (SigV4, service gaffer), for a node with --credentials.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	return fs, op
}

// Usage prints the flags.
func (c *nodesCommand) Usage() {
	fs, _ := c.flags()
	fs.Usage()
}

// Run prints the nodes.
func (c *nodesCommand) Run(ctx context.Context, args []string) error {
	fs, op := c.flags()
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	var v server.NodesView
	if err := op.call(ctx, http.MethodGet, "/gaffer/nodes", &v); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tADDRESS\tEPOCH\tJOINED\tEXPIRES\tPARTITIONS")
	for _, n := range v.Nodes {
		name := n.Name
		if name == v.Self {
			name += " (this)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d: %s\n", name, n.Addr, n.Epoch, n.JoinedAt.Format(time.RFC3339),
			n.ExpiresAt.Format(time.RFC3339), len(n.Partitions), ranges(n.Partitions))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(v.Free) > 0 {
		fmt.Fprintf(c.stdout, "not held (taken at the next balance): %s\n", ranges(v.Free))
	}
	return nil
}

// ranges writes sorted partition numbers as ranges: "0-3,7,9-10".
func ranges(ps []int) string {
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(ps[i]))
		if j > i {
			b.WriteByte('-')
			b.WriteString(strconv.Itoa(ps[j]))
		}
		i = j + 1
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
