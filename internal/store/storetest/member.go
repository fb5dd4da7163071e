package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

// Membership: nodes, partition leases, fencing, and the partition filters
// of the task and timer listings.

// clockSlack bounds how far the store's clock (a database server's, on
// PostgreSQL) may be from the test's.
const clockSlack = time.Minute

func joinNode(t *testing.T, s store.Store, id string, ttl time.Duration) store.Node {
	t.Helper()
	n := store.Node{ID: id, Addr: id + ":9000"}
	update(t, s, func(tx store.Tx) error { return tx.JoinNode(&n, ttl) })
	return n
}

func listNodes(t *testing.T, s store.Store) []store.Node {
	t.Helper()
	var out []store.Node
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListNodes()
		return err
	})
	return out
}

func listLeases(t *testing.T, s store.Store) []store.Lease {
	t.Helper()
	var out []store.Lease
	view(t, s, func(tx store.Tx) (err error) {
		out, err = tx.ListLeases()
		return err
	})
	return out
}

func acquireLease(t *testing.T, s store.Store, partition int, node string) (store.Lease, error) {
	t.Helper()
	var l store.Lease
	var acqErr error
	update(t, s, func(tx store.Tx) error {
		l, acqErr = tx.AcquireLease(partition, node)
		return nil
	})
	return l, acqErr
}

func renewNode(t *testing.T, s store.Store, id string, epoch int64, ttl time.Duration) (time.Time, error) {
	t.Helper()
	var exp time.Time
	var renewErr error
	update(t, s, func(tx store.Tx) error {
		exp, renewErr = tx.RenewNode(id, epoch, ttl)
		return nil
	})
	return exp, renewErr
}

func reapNodes(t *testing.T, s store.Store) []string {
	t.Helper()
	var ids []string
	update(t, s, func(tx store.Tx) (err error) {
		ids, err = tx.ReapNodes()
		return err
	})
	slices.Sort(ids)
	return ids
}

// sameNode compares nodes, times by instant.
func sameNode(a, b store.Node) bool {
	return a.ID == b.ID && a.Addr == b.Addr && a.Epoch == b.Epoch &&
		a.JoinedAt.Equal(b.JoinedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func within(got, lo, hi time.Time) bool {
	return !got.Before(lo.Add(-clockSlack)) && !got.After(hi.Add(clockSlack))
}

func testNodeJoin(t *testing.T, su suite) {
	s := su.open(t)
	const ttl = time.Hour
	before := time.Now()
	a := joinNode(t, s, "a", ttl)
	after := time.Now()
	if a.Epoch <= 0 {
		t.Errorf("first epoch = %d, want > 0", a.Epoch)
	}
	if !within(a.JoinedAt, before, after) {
		t.Errorf("JoinedAt = %v, want about now (%v)", a.JoinedAt, before)
	}
	if d := a.ExpiresAt.Sub(a.JoinedAt); d < ttl-time.Second || d > ttl+time.Second {
		t.Errorf("ExpiresAt - JoinedAt = %v, want the ttl %v", d, ttl)
	}
	b := joinNode(t, s, "b", ttl)
	if b.Epoch <= a.Epoch {
		t.Errorf("second epoch %d, want > %d", b.Epoch, a.Epoch)
	}
	got := listNodes(t, s)
	if len(got) != 2 || !sameNode(got[0], a) || !sameNode(got[1], b) {
		t.Fatalf("ListNodes = %+v, want [%+v %+v]", got, a, b)
	}

	// A restarted process takes its name back with a new epoch: the old
	// one is fenced.
	a2 := store.Node{ID: "a", Addr: "elsewhere:9000"}
	update(t, s, func(tx store.Tx) error { return tx.JoinNode(&a2, ttl) })
	if a2.Epoch <= b.Epoch {
		t.Errorf("rejoined epoch %d, want > %d", a2.Epoch, b.Epoch)
	}
	got = listNodes(t, s)
	if len(got) != 2 || !sameNode(got[0], a2) || !sameNode(got[1], b) {
		t.Fatalf("after rejoin, ListNodes = %+v, want [%+v %+v]", got, a2, b)
	}
	if _, err := renewNode(t, s, "a", a.Epoch, ttl); !errors.Is(err, store.ErrFenced) {
		t.Errorf("RenewNode with the replaced epoch: %v, want ErrFenced", err)
	}
}

func testNodeRenew(t *testing.T, su suite) {
	s := su.open(t)
	a := joinNode(t, s, "a", time.Hour)
	exp, err := renewNode(t, s, "a", a.Epoch, 2*time.Hour)
	if err != nil {
		t.Fatalf("RenewNode: %v", err)
	}
	if now := time.Now(); !within(exp, now.Add(2*time.Hour), now.Add(2*time.Hour)) || !exp.After(a.ExpiresAt) {
		t.Errorf("renewed expiry %v, want about now + 2h, after %v", exp, a.ExpiresAt)
	}
	got := listNodes(t, s)
	if len(got) != 1 || !got[0].ExpiresAt.Equal(exp) || got[0].Epoch != a.Epoch || !got[0].JoinedAt.Equal(a.JoinedAt) {
		t.Errorf("ListNodes after renew = %+v, want expiry %v, the rest unchanged", got, exp)
	}
	if _, err := renewNode(t, s, "a", a.Epoch+1000, time.Hour); !errors.Is(err, store.ErrFenced) {
		t.Errorf("RenewNode with a wrong epoch: %v, want ErrFenced", err)
	}
	if _, err := renewNode(t, s, "nobody", a.Epoch, time.Hour); !errors.Is(err, store.ErrFenced) {
		t.Errorf("RenewNode of a missing node: %v, want ErrFenced", err)
	}
	if got := listNodes(t, s); len(got) != 1 || !got[0].ExpiresAt.Equal(exp) {
		t.Errorf("fenced renewals changed the row: %+v", got)
	}
}

func testNodeReap(t *testing.T, su suite) {
	s := su.open(t)
	dead := joinNode(t, s, "dead", -time.Minute) // expired already
	dead2 := joinNode(t, s, "dead2", -time.Minute)
	live := joinNode(t, s, "live", time.Hour)
	held, err := acquireLease(t, s, 3, "dead")
	if err != nil {
		t.Fatalf("AcquireLease: %v", err)
	}
	if _, err := acquireLease(t, s, 3, "live"); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("AcquireLease of a partition an unreaped node holds: %v, want ErrLeaseHeld", err)
	}

	if got, want := reapNodes(t, s), []string{"dead", "dead2"}; !slices.Equal(got, want) {
		t.Fatalf("ReapNodes = %v, want %v", got, want)
	}
	if got := listNodes(t, s); len(got) != 1 || !sameNode(got[0], live) {
		t.Errorf("after reaping, ListNodes = %+v, want only %+v", got, live)
	}
	if got := reapNodes(t, s); len(got) != 0 {
		t.Errorf("second ReapNodes = %v, want none", got)
	}
	for _, n := range []store.Node{dead, dead2} {
		if _, err := renewNode(t, s, n.ID, n.Epoch, time.Hour); !errors.Is(err, store.ErrFenced) {
			t.Errorf("RenewNode of reaped %s: %v, want ErrFenced", n.ID, err)
		}
	}
	// The reaped node's lease is free for the taking.
	l, err := acquireLease(t, s, 3, "live")
	if err != nil {
		t.Fatalf("AcquireLease of a reaped node's partition: %v", err)
	}
	if want := (store.Lease{Partition: 3, Node: "live", Epoch: held.Epoch + 1}); l != want {
		t.Errorf("AcquireLease = %+v, want %+v", l, want)
	}
}

func testNodeLeave(t *testing.T, su suite) {
	s := su.open(t)
	a := joinNode(t, s, "a", time.Hour)
	b := joinNode(t, s, "b", time.Hour)
	for _, p := range []int{1, 2} {
		if _, err := acquireLease(t, s, p, "a"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := acquireLease(t, s, 5, "b"); err != nil {
		t.Fatal(err)
	}

	// A stale epoch leaves nothing.
	update(t, s, func(tx store.Tx) error { return tx.LeaveNode("a", a.Epoch+1000) })
	if got := listNodes(t, s); len(got) != 2 {
		t.Fatalf("LeaveNode with a wrong epoch removed a row: %+v", got)
	}
	want := []store.Lease{lease(1, "a", 1), lease(2, "a", 1), lease(5, "b", 1)}
	if got := listLeases(t, s); !slices.Equal(got, want) {
		t.Fatalf("ListLeases = %+v, want %+v", got, want)
	}

	update(t, s, func(tx store.Tx) error { return tx.LeaveNode("a", a.Epoch) })
	if got := listNodes(t, s); len(got) != 1 || !sameNode(got[0], b) {
		t.Errorf("after LeaveNode, ListNodes = %+v, want only %+v", got, b)
	}
	want = []store.Lease{lease(1, "", 2), lease(2, "", 2), lease(5, "b", 1)}
	if got := listLeases(t, s); !slices.Equal(got, want) {
		t.Errorf("after LeaveNode, ListLeases = %+v, want %+v", got, want)
	}
	if _, err := renewNode(t, s, "a", a.Epoch, time.Hour); !errors.Is(err, store.ErrFenced) {
		t.Errorf("RenewNode after LeaveNode: %v, want ErrFenced", err)
	}

	// A node that rejoined under its name keeps its leases when the old
	// process's LeaveNode comes late.
	b2 := joinNode(t, s, "b", time.Hour)
	update(t, s, func(tx store.Tx) error { return tx.LeaveNode("b", b.Epoch) })
	if got := listNodes(t, s); len(got) != 1 || !sameNode(got[0], b2) {
		t.Errorf("a late LeaveNode of the old epoch changed the nodes: %+v, want only %+v", got, b2)
	}
	if got := listLeases(t, s); !slices.Equal(got, want) {
		t.Errorf("a late LeaveNode of the old epoch changed the leases: %+v, want %+v", got, want)
	}
}

func testLeaseAcquireRelease(t *testing.T, su suite) {
	s := su.open(t)
	joinNode(t, s, "a", time.Hour)
	joinNode(t, s, "b", time.Hour)
	if got := listLeases(t, s); len(got) != 0 {
		t.Fatalf("ListLeases of a new store = %+v, want none", got)
	}

	// Never leased: the row is created with epoch 1.
	l, err := acquireLease(t, s, 7, "a")
	if want := (store.Lease{Partition: 7, Node: "a", Epoch: 1}); err != nil || l != want {
		t.Fatalf("AcquireLease free = %+v, %v; want %+v", l, err, want)
	}
	// Held by self: taken again, the epoch goes up.
	l, err = acquireLease(t, s, 7, "a")
	if want := (store.Lease{Partition: 7, Node: "a", Epoch: 2}); err != nil || l != want {
		t.Fatalf("AcquireLease held by self = %+v, %v; want %+v", l, err, want)
	}
	// Held by another live node: refused, unchanged.
	if _, err := acquireLease(t, s, 7, "b"); !errors.Is(err, store.ErrLeaseHeld) {
		t.Fatalf("AcquireLease held by another = %v, want ErrLeaseHeld", err)
	}
	if got, want := listLeases(t, s), []store.Lease{lease(7, "a", 2)}; !slices.Equal(got, want) {
		t.Fatalf("after a refused AcquireLease, ListLeases = %+v, want %+v", got, want)
	}

	// Released by a non-holder: nothing happens; by the holder: free, the
	// epoch goes up.
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(7, "b") })
	if got, want := listLeases(t, s), []store.Lease{lease(7, "a", 2)}; !slices.Equal(got, want) {
		t.Fatalf("after a non-holder's ReleaseLease, ListLeases = %+v, want %+v", got, want)
	}
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(7, "a") })
	if got, want := listLeases(t, s), []store.Lease{lease(7, "", 3)}; !slices.Equal(got, want) {
		t.Fatalf("after the holder's ReleaseLease, ListLeases = %+v, want %+v", got, want)
	}
	// Releasing what nobody holds, or a partition never leased, does
	// nothing.
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(7, "a") })
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(7, "") })
	update(t, s, func(tx store.Tx) error { return tx.ReleaseLease(9, "a") })
	if got, want := listLeases(t, s), []store.Lease{lease(7, "", 3)}; !slices.Equal(got, want) {
		t.Fatalf("after no-op ReleaseLeases, ListLeases = %+v, want %+v", got, want)
	}
	// A released lease is free for another.
	l, err = acquireLease(t, s, 7, "b")
	if want := (store.Lease{Partition: 7, Node: "b", Epoch: 4}); err != nil || l != want {
		t.Fatalf("AcquireLease released = %+v, %v; want %+v", l, err, want)
	}

	// ListLeases is in partition order, whatever the order of acquiring.
	for _, p := range []int{40, 0, 63, 12} {
		if _, err := acquireLease(t, s, p, "a"); err != nil {
			t.Fatal(err)
		}
	}
	want := []store.Lease{lease(0, "a", 1), lease(7, "b", 4), lease(12, "a", 1), lease(40, "a", 1), lease(63, "a", 1)}
	if got := listLeases(t, s); !slices.Equal(got, want) {
		t.Errorf("ListLeases = %+v, want %+v", got, want)
	}

	// A rolled-back AcquireLease leaves nothing.
	errRollback := errors.New("roll back")
	err = s.Update(t.Context(), func(tx store.Tx) error {
		if _, err := tx.AcquireLease(20, "a"); err != nil {
			return err
		}
		return errRollback
	})
	if !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want %v", err, errRollback)
	}
	if got := listLeases(t, s); !slices.Equal(got, want) {
		t.Errorf("after a rolled-back AcquireLease, ListLeases = %+v, want %+v", got, want)
	}
}

func testNodesOrder(t *testing.T, su suite) {
	s := su.open(t)
	for _, id := range []string{"m", "c", "x", "a"} {
		joinNode(t, s, id, time.Hour)
	}
	var ids []string
	for _, n := range listNodes(t, s) {
		ids = append(ids, n.ID)
	}
	if want := []string{"a", "c", "m", "x"}; !slices.Equal(ids, want) {
		t.Errorf("ListNodes IDs = %v, want %v", ids, want)
	}
}

func testMembershipNotInView(t *testing.T, su suite) {
	s := su.open(t)
	joinNode(t, s, "a", time.Hour)
	writes := map[string]func(tx store.Tx) error{
		"JoinNode": func(tx store.Tx) error { return tx.JoinNode(&store.Node{ID: "b"}, time.Hour) },
		"RenewNode": func(tx store.Tx) error {
			_, err := tx.RenewNode("a", 1, time.Hour)
			return err
		},
		"ReapNodes": func(tx store.Tx) error {
			_, err := tx.ReapNodes()
			return err
		},
		"LeaveNode": func(tx store.Tx) error { return tx.LeaveNode("a", 1) },
		"AcquireLease": func(tx store.Tx) error {
			_, err := tx.AcquireLease(1, "a")
			return err
		},
		"ReleaseLease": func(tx store.Tx) error { return tx.ReleaseLease(1, "a") },
	}
	for name, fn := range writes {
		var err error
		view(t, s, func(tx store.Tx) error {
			err = fn(tx)
			return nil
		})
		if err == nil {
			t.Errorf("%s in a View succeeded", name)
		}
	}
	if got := listNodes(t, s); len(got) != 1 || got[0].ID != "a" {
		t.Errorf("ListNodes after writes in Views = %+v", got)
	}
	if got := listLeases(t, s); len(got) != 0 {
		t.Errorf("ListLeases after writes in Views = %+v", got)
	}
}

// testFence checks a store.Fencer; a store that is not one passes.
func testFence(t *testing.T, su suite) {
	s := su.open(t)
	f, ok := s.(store.Fencer)
	if !ok {
		t.Logf("%T is not a store.Fencer", s)
		return
	}
	ran := 0
	write := func() error {
		return s.Update(t.Context(), func(tx store.Tx) error {
			ran++
			return tx.PutMeta("fenced", []byte("x"))
		})
	}
	mustWrite := func(when string) {
		t.Helper()
		before := ran
		if err := write(); err != nil {
			t.Fatalf("%s: Update = %v, want nil", when, err)
		}
		if ran != before+1 {
			t.Fatalf("%s: the function ran %d times, want once", when, ran-before)
		}
	}
	mustFence := func(when string) {
		t.Helper()
		before := ran
		if err := write(); !errors.Is(err, store.ErrFenced) {
			t.Fatalf("%s: Update = %v, want ErrFenced", when, err)
		}
		if ran != before {
			t.Fatalf("%s: a fenced Update ran its function", when)
		}
	}

	a := joinNode(t, s, "a", time.Hour)
	f.Fence("a", a.Epoch)
	mustWrite("fenced to a live node")
	update(t, s, func(tx store.Tx) error { return tx.LeaveNode("a", a.Epoch) })
	mustFence("after LeaveNode")
	// Views are not fenced.
	view(t, s, func(tx store.Tx) error { _, err := tx.ListNodes(); return err })
	f.Fence("", 0)
	mustWrite("fence off")

	// A rejoin under the same name fences the old epoch.
	a1 := joinNode(t, s, "a", time.Hour)
	a2 := joinNode(t, s, "a", time.Hour)
	f.Fence("a", a1.Epoch)
	mustFence("after a rejoin with a new epoch")
	f.Fence("a", a2.Epoch)
	mustWrite("fenced to the new epoch")

	// Reaping fences. An expired row that is still there is not.
	f.Fence("", 0)
	a3 := joinNode(t, s, "a", -time.Minute)
	f.Fence("a", a3.Epoch)
	mustWrite("expired but not reaped")
	if got := reapNodes(t, s); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("ReapNodes = %v, want [a]", got)
	}
	mustFence("after reaping")
	if got, err := getMeta(t, s, "fenced"); err != nil || string(got) != "x" {
		t.Errorf("GetMeta after fenced writes = %q, %v", got, err)
	}
	f.Fence("", 0)
	mustWrite("fence off again")
}

func lease(partition int, node string, epoch int64) store.Lease {
	return store.Lease{Partition: partition, Node: node, Epoch: epoch}
}

func getMeta(t *testing.T, s store.Store, key string) ([]byte, error) {
	t.Helper()
	var v []byte
	var getErr error
	view(t, s, func(tx store.Tx) error {
		v, getErr = tx.GetMeta(key)
		return nil
	})
	return v, getErr
}

func testPartitionOf(t *testing.T, _ suite) {
	hits := make([]int, store.Partitions)
	for i := range 10000 {
		id := fmt.Sprintf("arn:aws:states:us-east-1:123456789012:execution:sm:%d", i)
		p := store.PartitionOf(id)
		if p < 0 || p >= store.Partitions {
			t.Fatalf("PartitionOf(%q) = %d, out of [0, %d)", id, p, store.Partitions)
		}
		if q := store.PartitionOf(id); q != p {
			t.Fatalf("PartitionOf(%q) = %d, then %d", id, p, q)
		}
		hits[p]++
	}
	for p, n := range hits {
		// 10,000 over 64 is about 156 each.
		if n < 50 {
			t.Errorf("partition %d got %d of 10000 ids: %v", p, n, hits)
		}
	}
	// FNV-1a of "" is its offset basis.
	if got := store.PartitionOf(""); got != 2166136261%store.Partitions {
		t.Errorf("PartitionOf(\"\") = %d, want %d", got, 2166136261%store.Partitions)
	}
}

func testTaskListPartitions(t *testing.T, su suite) {
	s := su.open(t)
	byPart := map[int][]int64{}
	var all []int64
	update(t, s, func(tx store.Tx) error {
		for i := range 12 {
			p := []int{0, 3, 5, 63}[i%4]
			tk := &store.Task{Partition: p, Queue: "q", OwnerID: fmt.Sprint(i % 3), State: store.TaskScheduled}
			if i%2 == 1 {
				tk.State = store.TaskStarted
			}
			if err := tx.InsertTask(tk); err != nil {
				return err
			}
			byPart[p] = append(byPart[p], tk.ID)
			all = append(all, tk.ID)
		}
		return nil
	})
	ids := func(q store.TaskQuery) []int64 { return taskIDs(listTasks(t, s, q)) }
	if got := ids(store.TaskQuery{}); !slices.Equal(got, all) {
		t.Errorf("nil Partitions = %v, want all %v", got, all)
	}
	if got := ids(store.TaskQuery{Partitions: []int{}}); len(got) != 0 {
		t.Errorf("empty Partitions = %v, want none", got)
	}
	if got, want := ids(store.TaskQuery{Partitions: []int{3}}), byPart[3]; !slices.Equal(got, want) {
		t.Errorf("Partitions [3] = %v, want %v", got, want)
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(byPart[63]), byPart[0]...)))
	if got := ids(store.TaskQuery{Partitions: []int{63, 0, 63, 17}}); !slices.Equal(got, want) {
		t.Errorf("Partitions [63 0 63 17] = %v, want %v", got, want)
	}
	// With other filters: partition 0 and 5 are the even tasks (scheduled).
	want = slices.Sorted(slices.Values(append(slices.Clone(byPart[0]), byPart[5]...)))
	if got := ids(store.TaskQuery{Partitions: []int{0, 3, 5}, State: store.TaskScheduled}); !slices.Equal(got, want) {
		t.Errorf("Partitions [0 3 5] scheduled = %v, want %v", got, want)
	}
	if got := ids(store.TaskQuery{Partitions: []int{0, 3}, Queue: "other"}); len(got) != 0 {
		t.Errorf("Partitions with another queue = %v, want none", got)
	}
	// Paging through two partitions.
	want = slices.Sorted(slices.Values(append(slices.Clone(byPart[3]), byPart[63]...)))
	var got []int64
	for after := int64(0); ; {
		page := ids(store.TaskQuery{Partitions: []int{3, 63}, AfterID: after, Limit: 2})
		if len(page) > 2 {
			t.Fatalf("page of %d tasks, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged Partitions [3 63] = %v, want %v", got, want)
	}
}

func testTimerListPartitions(t *testing.T, su suite) {
	s := su.open(t)
	byPart := map[int][]int64{}
	var all []int64
	update(t, s, func(tx store.Tx) error {
		for i := range 12 {
			p := []int{0, 3, 5, 63}[i%4]
			tm := &store.Timer{Partition: p, OwnerKind: "sfn", OwnerID: fmt.Sprint(i % 2)}
			if err := tx.InsertTimer(tm); err != nil {
				return err
			}
			byPart[p] = append(byPart[p], tm.ID)
			all = append(all, tm.ID)
		}
		return nil
	})
	ids := func(q store.TimerQuery) []int64 { return timerIDs(listTimers(t, s, q)) }
	if got := ids(store.TimerQuery{}); !slices.Equal(got, all) {
		t.Errorf("nil Partitions = %v, want all %v", got, all)
	}
	if got := ids(store.TimerQuery{Partitions: []int{}}); len(got) != 0 {
		t.Errorf("empty Partitions = %v, want none", got)
	}
	if got, want := ids(store.TimerQuery{Partitions: []int{5}}), byPart[5]; !slices.Equal(got, want) {
		t.Errorf("Partitions [5] = %v, want %v", got, want)
	}
	want := slices.Sorted(slices.Values(append(slices.Clone(byPart[63]), byPart[0]...)))
	if got := ids(store.TimerQuery{Partitions: []int{63, 0, 0, 40}}); !slices.Equal(got, want) {
		t.Errorf("Partitions [63 0 0 40] = %v, want %v", got, want)
	}
	// With an owner: partitions 0 and 5 hold the even timers (owner "0").
	want = slices.Sorted(slices.Values(append(slices.Clone(byPart[0]), byPart[5]...)))
	if got := ids(store.TimerQuery{Partitions: []int{0, 3, 5}, OwnerKind: "sfn", OwnerID: "0"}); !slices.Equal(got, want) {
		t.Errorf("Partitions [0 3 5] owner 0 = %v, want %v", got, want)
	}
	want = slices.Sorted(slices.Values(append(slices.Clone(byPart[3]), byPart[63]...)))
	var got []int64
	for after := int64(0); ; {
		page := ids(store.TimerQuery{Partitions: []int{3, 63}, AfterID: after, Limit: 2})
		if len(page) > 2 {
			t.Fatalf("page of %d timers, limit 2", len(page))
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1]
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged Partitions [3 63] = %v, want %v", got, want)
	}
}
