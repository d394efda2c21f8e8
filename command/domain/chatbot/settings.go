package chatbot

import (
	"strconv"
	"strings"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// check trims and validates what a chatbot says.
func check(name, description string, s events.ChatbotSettings) (string, string, events.ChatbotSettings, error) {
	var errs []apperr.FieldError
	bad := func(field, msg string) { errs = append(errs, apperr.FieldError{Field: field, Message: msg}) }
	name, description = strings.TrimSpace(name), strings.TrimSpace(description)
	if name == "" || len([]rune(name)) > MaxNameLen {
		bad("name", "must be 1 to 100 characters")
	}
	if len([]rune(description)) > MaxDescriptionLen {
		bad("description", "must be at most 1000 characters")
	}
	if len([]rune(s.Greeting)) > MaxReplyLen {
		bad("settings.greeting", "must be at most 2000 characters")
	}
	if len([]rune(s.FallbackReply)) > MaxReplyLen {
		bad("settings.fallback_reply", "must be at most 2000 characters")
	}
	if len(s.Replies) > MaxReplies {
		bad("settings.replies", "at most 100 replies")
	}
	out := events.ChatbotSettings{Greeting: s.Greeting, FallbackReply: s.FallbackReply, Replies: []events.KeywordReply{}}
	for i, r := range s.Replies {
		field := "settings.replies[" + itoa(i) + "]"
		if strings.TrimSpace(r.Reply) == "" || len([]rune(r.Reply)) > MaxReplyLen {
			bad(field+".reply", "must be 1 to 2000 characters")
		}
		if len(r.Keywords) == 0 || len(r.Keywords) > MaxKeywords {
			bad(field+".keywords", "must hold 1 to 20 keywords")
		}
		kws := make([]string, 0, len(r.Keywords))
		for j, k := range r.Keywords {
			k = strings.TrimSpace(k)
			if k == "" || len([]rune(k)) > MaxKeywordLen {
				bad(field+".keywords["+itoa(j)+"]", "must be 1 to 100 characters")
			}
			kws = append(kws, k)
		}
		out.Replies = append(out.Replies, events.KeywordReply{Keywords: kws, Reply: r.Reply})
	}
	if len(errs) > 0 {
		return "", "", events.ChatbotSettings{}, apperr.Validation(errs...)
	}
	return name, description, out, nil
}

func sameSettings(a, b events.ChatbotSettings) bool {
	if a.Greeting != b.Greeting || a.FallbackReply != b.FallbackReply || len(a.Replies) != len(b.Replies) {
		return false
	}
	for i := range a.Replies {
		if a.Replies[i].Reply != b.Replies[i].Reply || strings.Join(a.Replies[i].Keywords, "\x00") != strings.Join(b.Replies[i].Keywords, "\x00") {
			return false
		}
	}
	return true
}

func itoa(i int) string { return strconv.Itoa(i) }

// Reply is the chatbot's answer to message: the first reply one of whose
// keywords occurs in it (case-insensitive), else the fallback.
func Reply(s events.ChatbotSettings, message string) string {
	lower := strings.ToLower(message)
	for _, r := range s.Replies {
		for _, k := range r.Keywords {
			if strings.Contains(lower, strings.ToLower(k)) {
				return r.Reply
			}
		}
	}
	return s.FallbackReply
}
