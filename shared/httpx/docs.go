package httpx

import (
	"embed"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
)

//go:embed docsui/web-components.min.js docsui/styles.min.css
var docsUI embed.FS

// docsPolicy lets the reference page load its own script and styles and
// read the spec from this origin, nothing else.
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'"

const docsPage = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Chatbot Platform API reference</title>
  <link rel="stylesheet" href="/docs/assets/styles.min.css">
  <script src="/docs/assets/web-components.min.js"></script>
</head>
<body style="height:100vh;margin:0">
  <elements-api apiDescriptionUrl="/openapi.json" router="hash" layout="sidebar" tryItCredentialsPolicy="omit"></elements-api>
</body>
</html>
`

// RegisterDocs serves the browsable API reference at /docs from assets
// embedded in the binary (no CDN).
func RegisterDocs(s *Server) {
	setPolicy := func(c *fiber.Ctx) error {
		err := c.Next()
		c.Set("Content-Security-Policy", docsPolicy)
		c.Set("Cache-Control", "public, max-age=3600")
		return err
	}
	s.App.Get("/docs", setPolicy, func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		return c.SendString(docsPage)
	})
	s.App.Use("/docs/assets", setPolicy, filesystem.New(filesystem.Config{
		Root:       http.FS(docsUI),
		PathPrefix: "docsui",
	}))
}
