package ui

import (
	"net/http"

	"github.com/howdah/howdah/sidecar/errmap"
)

// problem is an error as a page shows it: what happened, in words, and what to try. The
// SQLSTATE is shown beside the message, never alone.
type problem struct {
	Title    string
	Message  string
	Detail   string
	Hint     string
	SQLState string
	Try      []string
	Status   int
}

// explain turns an error of a call into a problem, by its JSON-RPC code (errmap's one table).
func explain(e *errmap.Error) *problem {
	p := &problem{Message: e.Message, Status: e.Status}
	if e.Data != nil {
		p.Detail, p.Hint, p.SQLState = e.Data.Detail, e.Data.Hint, e.Data.SQLState
	}
	switch e.Code {
	case errmap.CodeForbidden:
		p.Title = "Your role may not do this"
		p.Try = []string{"Sign in with a token whose role has the privilege (Sign out, then paste another token).",
			"Or ask the database's owner to GRANT it to your role: the docs of each module list the grants."}
	case errmap.CodeNotFound:
		p.Title = "Not found"
		p.Try = []string{"It may have been dropped or deleted since the page was drawn: go back to the list and reload it."}
	case errmap.CodeMethodNotFound:
		p.Title = "The database has no such function"
		p.Try = []string{"The module may have been uninstalled or upgraded since the page loaded: reload the page.",
			"Check what is installed with howdah status --db URL."}
	case errmap.CodeInvalidParams, errmap.CodeApplication, errmap.CodeInvalidRequest, errmap.CodeParse:
		p.Title = "The database refused the request"
		p.Try = []string{"Change the input as the message says, and try again."}
	case errmap.CodeConflict:
		p.Title = "The data changed, or is in the way"
		p.Try = []string{"Reload the page to see the current state, then try again."}
	case errmap.CodeTimeout:
		p.Title = "The database took too long"
		p.Try = []string{"Try again; narrow a filter or ask for a smaller page if it keeps happening."}
	case errmap.CodeUnavailable:
		p.Title = "The database cannot answer now"
		p.Try = []string{"Try again in a moment: the sidecar is busy or the database is not reachable."}
	case errmap.CodeUnauthorized:
		p.Title = "Sign-in needed"
		p.Try = []string{"Sign in again."}
	default:
		p.Title = "Something went wrong on the server"
		p.Message = "The sidecar could not complete the request."
		p.Try = []string{"Try again; if it keeps happening, the sidecar's log has the details."}
	}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	return p
}
