package main

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// A node of the compose cluster is the compose server (docker/nats.conf:
// users, rights, fsync) with a name of its own and a route to every node
// docker/compose.cluster.yml runs.
func TestComposeClusterNodesAreTheComposeServerRoutedToEachOther(t *testing.T) {
	for _, v := range []string{"NATS_SERVICE_PASSWORD", "NATS_AUDIT_PASSWORD", "NATS_AUDIT_ACME_PASSWORD"} {
		t.Setenv(v, "x")
	}
	t.Setenv("NATS_SERVER_NAME", "nats2")
	single, err := server.ProcessConfigFile("../../docker/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	node, err := server.ProcessConfigFile("../../docker/nats-cluster.conf")
	if err != nil {
		t.Fatal(err)
	}
	if node.ServerName != "nats2" || node.Cluster.Name == "" || node.Cluster.Port != 6222 {
		t.Errorf("node %q in cluster %q on %d, want nats2 in a named cluster on 6222", node.ServerName, node.Cluster.Name, node.Cluster.Port)
	}
	if !node.JetStream || !node.SyncAlways || node.StoreDir != single.StoreDir {
		t.Errorf("JetStream %v, sync always %v, store %q: want those of docker/nats.conf", node.JetStream, node.SyncAlways, node.StoreDir)
	}
	if !reflect.DeepEqual(node.Users, single.Users) {
		t.Error("the cluster node's users differ from docker/nats.conf's")
	}
	var routes []string
	for _, r := range node.Routes {
		routes = append(routes, r.Hostname())
	}
	compose, err := os.ReadFile("../../docker/compose.cluster.yml")
	if err != nil {
		t.Fatal(err)
	}
	var services []string
	for _, m := range regexp.MustCompile(`(?m)^  (nats\d?):$`).FindAllStringSubmatch(string(compose), -1) {
		services = append(services, m[1])
	}
	slices.Sort(routes)
	slices.Sort(services)
	services = slices.Compact(services) // each is named again among the dependencies
	if len(services) != 3 || !slices.Equal(routes, services) {
		t.Errorf("routes to %v, compose runs the nodes %v", routes, services)
	}
}
