package syncer

import (
	"testing"
	"time"

	"github.com/awardtracker/awardtracker/pkg/awardtracker"
)

// A job that never finishes (a sync hung on a trickling upstream) must not
// keep every later finished job from being pruned: the old registry stopped
// at the first unfinished job.
func TestJobRegistry_PruneSkipsHungJob(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	r := newJobRegistry(func() time.Time { return now })

	hung, err := r.claim(1, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	var old []string
	for uid := int64(2); uid < 5; uid++ {
		job, err := r.claim(uid, awardtracker.SourceLoTW)
		if err != nil {
			t.Fatal(err)
		}
		r.finish(job, func(j *awardtracker.SyncJob) {
			at := now
			j.FinishedAt, j.Status = &at, awardtracker.JobSucceeded
		})
		r.release()
		old = append(old, job.ID)
	}

	now = now.Add(jobRetention + time.Minute)
	fresh, err := r.claim(9, awardtracker.SourceDCL) // claiming prunes
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range old {
		if r.jobs[id] != nil {
			t.Errorf("job %s finished %v ago is still kept, want pruned", id, jobRetention+time.Minute)
		}
	}
	if got, want := r.order, []string{hung.ID, fresh.ID}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("order %v, want %v (the hung job and the new one)", got, want)
	}
	if job, _ := r.get(1, hung.ID); job == nil {
		t.Error("the unfinished job was pruned")
	}
}

// Finished jobs within the retention are kept up to maxJobs; beyond it the
// oldest finished go first, and a hung job at the front stays.
func TestJobRegistry_PruneBeyondMaxJobs(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	r := newJobRegistry(func() time.Time { return now })
	hung, err := r.claim(0, awardtracker.SourceLoTW)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for uid := int64(1); uid <= maxJobs+5; uid++ {
		job, err := r.claim(uid, awardtracker.SourceLoTW)
		if err != nil {
			t.Fatal(err)
		}
		r.finish(job, func(j *awardtracker.SyncJob) {
			at := now
			j.FinishedAt = &at
		})
		r.release()
		ids = append(ids, job.ID)
	}
	if len(r.jobs) > maxJobs || len(r.jobs) != len(r.order) {
		t.Fatalf("%d jobs (%d in order), want at most %d", len(r.jobs), len(r.order), maxJobs)
	}
	if r.jobs[hung.ID] == nil {
		t.Error("the hung job was pruned")
	}
	if r.jobs[ids[0]] != nil {
		t.Error("the oldest finished job is kept beyond maxJobs")
	}
	if r.jobs[ids[len(ids)-1]] == nil {
		t.Error("the newest job was pruned")
	}
}

// BenchmarkJobRegistry_Claim claims a job while the registry holds a hung
// job and maxJobs-1 recent finished ones: the cost every Start pays for
// pruning.
func BenchmarkJobRegistry_Claim(b *testing.B) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	r := newJobRegistry(func() time.Time { return now })
	if _, err := r.claim(0, awardtracker.SourceLoTW); err != nil { // hung
		b.Fatal(err)
	}
	finish := func(job *awardtracker.SyncJob) {
		r.finish(job, func(j *awardtracker.SyncJob) {
			at := now
			j.FinishedAt = &at
		})
		r.release()
	}
	for uid := int64(1); uid < maxJobs; uid++ {
		job, err := r.claim(uid, awardtracker.SourceLoTW)
		if err != nil {
			b.Fatal(err)
		}
		finish(job)
	}
	b.ResetTimer()
	for i := range b.N {
		job, err := r.claim(int64(maxJobs+i), awardtracker.SourceDCL)
		if err != nil {
			b.Fatal(err)
		}
		finish(job)
	}
}
