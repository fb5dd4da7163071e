package postgres

import (
	"testing"
	"time"

	"github.com/gaffer-dev/gaffer/internal/store"
)

func benchTask() *store.Task {
	now := time.Now()
	return &store.Task{
		Queue: "sfn:activity:bench", OwnerKind: "sfn", OwnerID: "arn:aws:states:us-east-1:000000000000:execution:sm:x",
		OwnerRef: "7", State: store.TaskScheduled, Input: []byte(`{"hello":"world"}`),
		Heartbeat: 30 * time.Second, ScheduledAt: now,
	}
}

// BenchmarkUpdate measures small writes from many callers at once, as a
// server makes them (compare with the sqlite package's
// BenchmarkUpdateParallel): "commits/s" is transactions, "fns/commit" the
// Update functions each one carried, "fns/s" the Updates answered.
func BenchmarkUpdate(b *testing.B) {
	b.Run("insert", func(b *testing.B) {
		s, _ := openTest(b, Options{})
		benchParallel(b, s, func(tx store.Tx) error { return tx.InsertTask(benchTask()) })
	})
	b.Run("read-modify-write", func(b *testing.B) {
		s, _ := openTest(b, Options{})
		tk := benchTask()
		if err := s.Update(b.Context(), func(tx store.Tx) error { return tx.InsertTask(tk) }); err != nil {
			b.Fatal(err)
		}
		benchParallel(b, s, func(tx store.Tx) error {
			got, err := tx.GetTask(tk.ID)
			if err != nil {
				return err
			}
			got.HeartbeatAt = time.Now()
			return tx.UpdateTask(got)
		})
	})
	b.Run("insert-fenced", func(b *testing.B) {
		s, _ := openTest(b, Options{})
		n := store.Node{ID: "bench"}
		if err := s.Update(b.Context(), func(tx store.Tx) error { return tx.JoinNode(&n, time.Hour) }); err != nil {
			b.Fatal(err)
		}
		s.Fence(n.ID, n.Epoch)
		benchParallel(b, s, func(tx store.Tx) error { return tx.InsertTask(benchTask()) })
	})
}

func benchParallel(b *testing.B, s *Store, fn func(tx store.Tx) error) {
	b.ReportAllocs()
	b.SetParallelism(32) // many callers per CPU, as in a server
	batches, jobs := s.w.batches.Load(), s.w.jobs.Load()
	start := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Update(b.Context(), fn); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start).Seconds()
	batches, jobs = s.w.batches.Load()-batches, s.w.jobs.Load()-jobs
	if batches > 0 {
		b.ReportMetric(float64(jobs)/float64(batches), "fns/commit")
		b.ReportMetric(float64(batches)/elapsed, "commits/s")
		b.ReportMetric(float64(jobs)/elapsed, "fns/s")
	}
}
