package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gaffer-dev/gaffer/internal/cluster"
	"github.com/gaffer-dev/gaffer/internal/store"
	"github.com/gaffer-dev/gaffer/internal/store/postgres"
	"github.com/gaffer-dev/gaffer/internal/store/sqlite"
)

// openStore opens the node's store: the PostgreSQL database of
// cfg.Store, shared with other nodes, or the SQLite file in cfg.DataDir.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	log := cfg.Logger.With("component", "store")
	if cfg.Store != "" {
		return postgres.Open(ctx, cfg.Store, postgres.Options{Logger: log})
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, DBFile), sqlite.Options{Logger: log, Init: cfg.Init})
}

// storeName describes the store for logs, without a password: the
// PostgreSQL host and database, or the SQLite data directory.
func storeName(cfg Config) string {
	if cfg.Store == "" {
		return "sqlite:" + cfg.DataDir
	}
	if u, err := url.Parse(cfg.Store); err == nil && u.Scheme != "" {
		return u.Scheme + "://" + u.Host + u.Path
	}
	return "postgres (key=value DSN)"
}

// nodeName is cfg.NodeName, or the host name and the listen port; a port
// chosen by the system (":0") gets a random suffix instead, so that nodes
// started that way do not share a name.
func nodeName(cfg Config) string {
	if cfg.NodeName != "" {
		return cfg.NodeName
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "gaffer"
	}
	if _, port, err := net.SplitHostPort(cfg.Listen); err == nil && port != "0" && port != "" {
		return host + ":" + port
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + hex.EncodeToString(b)
}

// NodesView is what GET /gaffer/nodes answers: the live nodes sharing the
// store, the partitions each holds, and those no live node holds (taken
// at the next balance).
type NodesView struct {
	Self  string     `json:"self"`
	Nodes []NodeView `json:"nodes"`
	Free  []int      `json:"free"`
}

// NodeView is one node of NodesView.
type NodeView struct {
	Name       string    `json:"name"`
	Addr       string    `json:"addr"`
	Epoch      int64     `json:"epoch"`
	JoinedAt   time.Time `json:"joinedAt"`
	ExpiresAt  time.Time `json:"expiresAt"`
	Partitions []int     `json:"partitions"`
}

func nodesView(ctx context.Context, n *cluster.Node) (NodesView, error) {
	nodes, err := n.Nodes(ctx)
	if err != nil {
		return NodesView{}, err
	}
	v := NodesView{Self: n.Name(), Nodes: []NodeView{}, Free: []int{}}
	held := make([]bool, store.Partitions)
	for _, nd := range nodes {
		ps := slices.Clone(nd.Partitions)
		if ps == nil {
			ps = []int{}
		}
		slices.Sort(ps)
		for _, p := range ps {
			held[p] = true
		}
		v.Nodes = append(v.Nodes, NodeView{Name: nd.ID, Addr: nd.Addr, Epoch: nd.Epoch, JoinedAt: nd.JoinedAt, ExpiresAt: nd.ExpiresAt, Partitions: ps})
	}
	slices.SortFunc(v.Nodes, func(a, b NodeView) int { return strings.Compare(a.Name, b.Name) })
	for p, h := range held {
		if !h {
			v.Free = append(v.Free, p)
		}
	}
	return v, nil
}
