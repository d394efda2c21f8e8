package natsx

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A NATS cluster on one host: embedded nodes with JetStream, each in a
// process of its own (so that one can be SIGKILLed like a crashed
// machine), routed to each other on loopback, with the product's users.
// The cluster tests and the bench's cluster run start it; a program that
// starts one calls ServeNodeIfAsked first thing, because the nodes are that
// same program run again.

// ClusterName is the name every node of a Cluster routes under.
const ClusterName = "chatbot"

// NodeEnv names the file of a node's settings in the environment of the
// program run as that node.
const NodeEnv = "CHATBOT_NATS_NODE"

// ClusterNode is one node's settings, written to a file (mode 0600: it
// holds the users' passwords) the node's process reads.
type ClusterNode struct {
	Name        string   `json:"name"`
	Host        string   `json:"host"`
	ClientPort  int      `json:"client_port"`
	ClusterPort int      `json:"cluster_port"`
	HTTPPort    int      `json:"http_port"` // monitoring: /healthz tells whether JetStream is current
	Routes      []string `json:"routes"`    // every node's cluster URL; a route to itself is ignored
	StoreDir    string   `json:"store_dir"`
	Sync        string   `json:"sync"`
	Users       Users    `json:"users"`
}

func (n ClusterNode) serverOptions() (*server.Options, error) {
	opts := &server.Options{
		ServerName: n.Name, Host: n.Host, Port: n.ClientPort, HTTPHost: n.Host, HTTPPort: n.HTTPPort,
		JetStream: true, StoreDir: n.StoreDir, NoSigs: true, MaxPayload: 1 << 20,
		Users: n.Users.serverUsers(),
	}
	if len(n.Routes) > 1 { // one node alone is a standalone server
		opts.Cluster = server.ClusterOpts{Name: ClusterName, Host: n.Host, Port: n.ClusterPort}
		opts.Routes = server.RoutesFromStr(strings.Join(n.Routes, ","))
	}
	return opts, applySync(opts, n.Sync)
}

// ServeNodeIfAsked runs this process as the cluster node NodeEnv names,
// until it is killed, and never returns then; without NodeEnv it returns
// at once.
func ServeNodeIfAsked() {
	path := os.Getenv(NodeEnv)
	if path == "" {
		return
	}
	if err := serveNode(path); err != nil {
		fmt.Fprintf(os.Stderr, "NATS node: %v\n", err)
		os.Exit(1)
	}
	os.Exit(0)
}

func serveNode(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var n ClusterNode
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	opts, err := n.serverOptions()
	if err != nil {
		return err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s.SetLoggerV2(&serverLogger{l: log.With("node", n.Name)}, false, false, false)
	go s.Start()
	s.WaitForShutdown()
	return nil
}

// ClusterOptions configures StartCluster.
type ClusterOptions struct {
	Nodes int    // 3 unless set; 1 is a standalone server, not clustered
	Dir   string // each node's settings and store under Dir/<name>
	Sync  string // "always" or a duration
	Users *Users
	Exe   string                   // the program to run as a node; it calls ServeNodeIfAsked
	Out   func(node int) io.Writer // where a node's log goes; nil discards it
}

// Cluster is a running NATS cluster of node processes.
type Cluster struct {
	opts  ClusterOptions
	nodes []ClusterNode
	mu    sync.Mutex
	procs []*exec.Cmd
}

// StartCluster starts the nodes and waits until JetStream is current on
// each of them.
func StartCluster(o ClusterOptions) (*Cluster, error) {
	if o.Nodes == 0 {
		o.Nodes = 3
	}
	if o.Users == nil {
		return nil, errors.New("a cluster needs its users")
	}
	ports, err := freePorts(3 * o.Nodes)
	if err != nil {
		return nil, err
	}
	c := &Cluster{opts: o, procs: make([]*exec.Cmd, o.Nodes)}
	var routes []string
	for i := range o.Nodes {
		routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[3*i+1]))
	}
	for i := range o.Nodes {
		name := fmt.Sprintf("n%d", i+1)
		c.nodes = append(c.nodes, ClusterNode{Name: name, Host: "127.0.0.1", ClientPort: ports[3*i], ClusterPort: ports[3*i+1],
			HTTPPort: ports[3*i+2], Routes: routes, StoreDir: filepath.Join(o.Dir, name, "store"), Sync: o.Sync, Users: *o.Users})
	}
	for i := range c.nodes {
		if err := c.Start(i); err != nil {
			c.Close()
			return nil, err
		}
	}
	if err := c.WaitCurrent(time.Minute); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// URL is every node's client URL, comma-separated, without credentials.
func (c *Cluster) URL() string {
	var urls []string
	for _, n := range c.nodes {
		urls = append(urls, fmt.Sprintf("nats://%s:%d", n.Host, n.ClientPort))
	}
	return strings.Join(urls, ",")
}

// NodeURL is node i's client URL alone.
func (c *Cluster) NodeURL(i int) string {
	return fmt.Sprintf("nats://%s:%d", c.nodes[i].Host, c.nodes[i].ClientPort)
}

// Name is node i's server name; Index is the node of a server name, or -1.
func (c *Cluster) Name(i int) string { return c.nodes[i].Name }

func (c *Cluster) Index(name string) int {
	for i, n := range c.nodes {
		if n.Name == name {
			return i
		}
	}
	return -1
}

// Start starts node i's process (again, after Kill: same ports, same store).
func (c *Cluster) Start(i int) error {
	n := c.nodes[i]
	dir := filepath.Dir(n.StoreDir)
	if err := os.MkdirAll(n.StoreDir, 0o700); err != nil {
		return err
	}
	b, _ := json.Marshal(n)
	path := filepath.Join(dir, "node.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return err
	}
	cmd := exec.Command(c.opts.Exe)
	cmd.Env = append(os.Environ(), NodeEnv+"="+path)
	if c.opts.Out != nil {
		cmd.Stdout, cmd.Stderr = c.opts.Out(i), c.opts.Out(i)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start NATS node %s: %w", n.Name, err)
	}
	c.mu.Lock()
	c.procs[i] = cmd
	c.mu.Unlock()
	return nil
}

// Kill SIGKILLs node i: no goodbye, no leadership handed on.
func (c *Cluster) Kill(i int) error {
	c.mu.Lock()
	cmd := c.procs[i]
	c.procs[i] = nil
	c.mu.Unlock()
	if cmd == nil {
		return fmt.Errorf("NATS node %s is not running", c.nodes[i].Name)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = cmd.Wait() // "signal: killed"
	return nil
}

// Current tells whether node i answers that its JetStream is current with
// the cluster (the monitoring /healthz).
func (c *Cluster) Current(i int) bool {
	n := c.nodes[i]
	client := http.Client{Timeout: 2 * time.Second}
	res, err := client.Get("http://" + net.JoinHostPort(n.Host, strconv.Itoa(n.HTTPPort)) + "/healthz")
	if err != nil {
		return false
	}
	_ = res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// WaitCurrent waits until every running node is current.
func (c *Cluster) WaitCurrent(within time.Duration) error {
	deadline := time.Now().Add(within)
	for i := range c.nodes {
		for !c.Current(i) {
			if time.Now().After(deadline) {
				return fmt.Errorf("NATS node %s is not current within %v", c.nodes[i].Name, within)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// Close kills every node still running.
func (c *Cluster) Close() {
	for i := range c.nodes {
		_ = c.Kill(i)
	}
}

func freePorts(n int) ([]int, error) {
	var ports []int
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// Pid is node i's process id, or 0 when it is not running.
func (c *Cluster) Pid(i int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.procs[i] == nil {
		return 0
	}
	return c.procs[i].Process.Pid
}

// Nodes is how many nodes the cluster has.
func (c *Cluster) Nodes() int { return len(c.nodes) }
