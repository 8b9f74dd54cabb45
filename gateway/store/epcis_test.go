package store

import (
	"testing"
	"time"
)

func testCaptureJobs(t *testing.T, bk backend) {
	s, err := bk.openErr(t, bk.fresh(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if j, err := s.CaptureJob("alice", "c1"); err != nil || j != nil {
		t.Fatalf("no job yet: %v %v", j, err)
	}
	job := CaptureJob{ID: "c1", Principal: "alice", ErrorBehaviour: "rollback", CreatedAt: time.Unix(1, 0).UTC(), Running: true, Events: 2}
	if err := s.PutCaptureJob(job); err != nil {
		t.Fatal(err)
	}
	job.Running, job.Success, job.Captured = false, true, 2
	if err := s.PutCaptureJob(job); err != nil {
		t.Fatal(err)
	}
	got, err := s.CaptureJob("alice", "c1")
	if err != nil || got == nil || got.Running || !got.Success || got.Captured != 2 || got.Principal != "alice" {
		t.Fatalf("job: %+v %v", got, err)
	}
	if other, err := s.CaptureJob("bob", "c1"); err != nil || other != nil {
		t.Fatalf("another principal reads the job: %+v %v", other, err)
	}
}
