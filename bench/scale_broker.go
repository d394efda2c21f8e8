package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// scaleBrokerRun is where a scale run's serve finds its NATS server: the
// one it embeds, or a standalone server in a process of its own.
type scaleBrokerRun struct {
	env   []string       // serve's settings for it
	node  *natsx.Cluster // the standalone server, nil when embedded
	users *natsx.Users
}

// scaleBroker starts a standalone server (this program run as one node,
// its store under dir) when standalone, with the users the embedded server
// would have; otherwise serve embeds its own.
func scaleBroker(dir string, standalone bool) (*scaleBrokerRun, error) {
	if !standalone {
		return &scaleBrokerRun{env: []string{"NATS_LISTEN=127.0.0.1:0"}}, nil
	}
	users, err := natsx.EmbeddedUsers(dir, nil)
	if err != nil {
		return nil, err
	}
	// The seed is one burst (serve's own writes are a few usage events),
	// so the server syncs to disk each minute, as the seed does embedded.
	node, err := natsx.StartCluster(natsx.ClusterOptions{Nodes: 1, Dir: filepath.Join(dir, "nats"), Sync: "1m", Users: users, Exe: os.Args[0]})
	if err != nil {
		return nil, err
	}
	return &scaleBrokerRun{node: node, users: users, env: []string{"NATS_URL=" + node.URL(), "NATS_USER=" + users.Service.User,
		"NATS_PASSWORD_FILE=" + filepath.Join(dir, natsx.ServicePasswordFile)}}, nil
}

// connect is a service connection to the server serve uses.
func (b *scaleBrokerRun) connect(dir string) (*nats.Conn, error) {
	if b.node != nil {
		return nats.Connect(b.node.URL(), nats.UserInfo(b.users.Service.User, b.users.Service.Password), nats.CustomInboxPrefix(natsx.ServiceInboxPrefix))
	}
	pw, err := os.ReadFile(filepath.Join(dir, natsx.ServicePasswordFile))
	if err != nil {
		return nil, err
	}
	return nats.Connect(natsx.ReadAddrFile(dir), nats.UserInfo(natsx.ServiceUser, strings.TrimSpace(string(pw))),
		nats.CustomInboxPrefix(natsx.ServiceInboxPrefix))
}

// rssMB is the standalone server's resident set, 0 when embedded.
func (b *scaleBrokerRun) rssMB() float64 {
	if b.node == nil {
		return 0
	}
	return rssOf(b.node.Pid(0))
}

func (b *scaleBrokerRun) close() {
	if b.node != nil {
		b.node.Close()
	}
}
