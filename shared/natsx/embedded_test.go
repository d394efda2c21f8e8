package natsx_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

func TestEmbeddedServerKeepsJetStreamOnDisk(t *testing.T) {
	dir := t.TempDir()
	addrFile := filepath.Join(dir, natsx.AddrFile)
	opts := natsx.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "nats"), SyncInterval: "always", AddrFile: addrFile}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	emb, err := natsx.StartEmbedded(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := natsx.ReadAddrFile(dir); got != emb.ClientURL() {
		t.Errorf("address file has %q, want %q", got, emb.ClientURL())
	}
	nc, err := natsx.Connect("", emb, "test", discardLogger())
	if err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "T", Subjects: []string{"t.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "t.a", []byte("kept")); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	emb.Shutdown()
	if _, err := os.Stat(addrFile); !os.IsNotExist(err) {
		t.Errorf("address file left behind after shutdown")
	}

	// A new server on the same store sees the message.
	emb, err = natsx.StartEmbedded(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer emb.Shutdown()
	svc := emb.Users().Service
	nc, err = natsx.Connect(emb.ClientURL(), nil, "test", discardLogger(), nats.UserInfo(svc.User, svc.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err = jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	s, err := js.Stream(ctx, "T")
	if err != nil {
		t.Fatal(err)
	}
	msg, err := s.GetMsg(ctx, 1)
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if string(msg.Data) != "kept" {
		t.Fatalf("after restart: got %q", msg.Data)
	}
}

func TestEmbeddedServerNamesTheTakenPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := ln.Close(); err != nil {
			t.Errorf("close the listener: %v", err)
		}
	}()
	_, err = natsx.StartEmbedded(natsx.EmbeddedOptions{Listen: ln.Addr().String(), StoreDir: t.TempDir(), SyncInterval: "always"})
	if err == nil || !strings.Contains(err.Error(), "NATS_LISTEN") {
		t.Fatalf("got %v, want an error naming NATS_LISTEN", err)
	}
}

func TestConnectErrorNamesTheSettingWithoutCredentials(t *testing.T) {
	_, err := natsx.Connect("nats://user:s3cret@127.0.0.1:1", nil, "test", discardLogger())
	if err == nil || !strings.Contains(err.Error(), "NATS_URL") || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("got %v", err)
	}
}
