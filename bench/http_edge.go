package main

import (
	"net"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// benchHTTPEdge compares GET /healthz through the product's full middleware
// chain (request id, access log, metrics, recovery, headers, CORS, huma)
// with a bare Fiber hello-world JSON handler: the cost of the edge itself.
func benchHTTPEdge(cfg runConfig) (Result, error) {
	bareURL, stopBare, err := helloWorld()
	if err != nil {
		return Result{}, err
	}
	defer stopBare()

	metrics := observability.NewMetrics()
	srv := httpx.New(edgeOptions(metrics))
	httpx.RegisterOps(srv, nil, metrics.Registry)
	edgeURL, stopEdge, err := listen(srv.App)
	if err != nil {
		return Result{}, err
	}
	defer stopEdge()

	ok := func(r *http.Response) bool { return r.StatusCode == 200 }
	get := func(url string) func() *http.Request {
		return func() *http.Request { r, _ := http.NewRequest("GET", url, nil); return r }
	}
	closedLoop(cfg.workers, time.Second, get(bareURL+"/"), ok) // warm up
	base := closedLoop(cfg.workers, cfg.duration, get(bareURL+"/"), ok)
	load := closedLoop(cfg.workers, cfg.duration, get(edgeURL+"/healthz"), ok)
	return Result{
		Name: "GET /healthz through the HTTP edge", Ceiling: "Fiber hello-world JSON",
		Target: 0.5, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: "the edge alone; every API route pays this before its own work (target: the cached-GET share of hello-world)",
	}, nil
}

// helloWorld is the ceiling of HTTP scenarios: a bare Fiber JSON handler.
func helloWorld() (string, func(), error) {
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	return listen(bare)
}

func listen(app *fiber.App) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() { _ = app.Listener(ln) }()
	// Closing the listener ends the ceiling: fasthttp's Shutdown races
	// with the connections it is still serving (the race detector finds
	// it), and the bench needs no graceful end for a bare handler.
	return "http://" + ln.Addr().String(), func() { _ = ln.Close() }, nil
}
