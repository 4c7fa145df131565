package server

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"blackstart/data/store"
)

// Sessions of the pages.
const (
	// SessionCookie names the cookie holding a browser's session id.
	SessionCookie = "bs_session"
	// SigninCookie names the cookie holding the sign-in form's CSRF token
	// (double submit: the form carries the same value).
	SigninCookie = "bs_signin"
	// SessionTTL bounds a session's life; a token that expires sooner ends
	// it sooner.
	SessionTTL = 12 * time.Hour
	// MaxSessions bounds the sessions kept; past it the one expiring first
	// is dropped.
	MaxSessions = 10000
	// csrfField names the hidden field of every form.
	csrfField = "csrf"
)

// session is one browser's sign-in, kept in memory (a restart signs
// everyone out): the token it signed in with (empty for a loopback
// browser that needs none), and the CSRF token its forms carry.
type session struct {
	id        string
	token     store.Token // ID empty: loopback, no sign-in
	csrf      string
	expiresMS int64 // Unix ms
}

type sessions struct {
	mu sync.Mutex
	m  map[string]*session
}

// randomID is 32 random bytes, URL-safe base64.
func randomID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // the kernel's generator does not fail
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// newSession starts a session for tok (zero: loopback) until expiresMS.
func (s *Server) newSession(tok store.Token, nowMS int64) *session {
	exp := nowMS + SessionTTL.Milliseconds()
	if tok.ExpiresMS != 0 {
		exp = min(exp, tok.ExpiresMS)
	}
	ss := &session{id: randomID(), token: tok, csrf: randomID(), expiresMS: exp}
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	for id, o := range s.sess.m {
		if o.expiresMS <= nowMS {
			delete(s.sess.m, id)
		}
	}
	for len(s.sess.m) >= MaxSessions {
		var first *session
		for _, o := range s.sess.m {
			if first == nil || o.expiresMS < first.expiresMS {
				first = o
			}
		}
		delete(s.sess.m, first.id)
	}
	s.sess.m[ss.id] = ss
	return ss
}

// sessionOf returns the request's live session, nil when none.
func (s *Server) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return nil
	}
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	ss := s.sess.m[c.Value]
	if ss == nil {
		return nil
	}
	if ss.expiresMS <= s.cfg.Now().UnixMilli() {
		delete(s.sess.m, ss.id)
		return nil
	}
	return ss
}

func (s *Server) endSession(ss *session) {
	s.sess.mu.Lock()
	defer s.sess.mu.Unlock()
	delete(s.sess.m, ss.id)
}

// setCookie sets a cookie of the pages: HttpOnly, SameSite=Strict, Secure
// when the request came over TLS, for the whole site.
func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// pageAuth decides whether a page request may be served: a loopback
// browser of a server that is not remote needs nothing (it gets a session
// without a token, for its forms' CSRF token); anyone else needs a
// session signed in with a token, or a bearer token. A request that may
// not is sent to the sign-in form (GET) or refused (401).
func (s *Server) pageAuth(w http.ResponseWriter, r *http.Request) (*session, bool) {
	ss := s.sessionOf(r)
	open := !s.cfg.Remote && loopbackPeer(r.RemoteAddr)
	if ss != nil && (ss.token.ID != "" || open) {
		return ss, true
	}
	if open {
		ss = s.newSession(store.Token{}, s.cfg.Now().UnixMilli())
		setCookie(w, r, SessionCookie, ss.id, 0)
		return ss, true
	}
	if h := r.Header.Get("Authorization"); h != "" {
		if t, err := s.authenticate(r, route{need: store.ScopeRead}); err == nil {
			return &session{token: t}, true
		}
	}
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
	} else {
		s.writePageError(w, r, http.StatusUnauthorized, "sign in first (/signin)")
	}
	return nil, false
}

// checkCSRF refuses a form post whose csrf field is not its session's.
func checkCSRF(r *http.Request, ss *session) error {
	got := r.PostFormValue(csrfField)
	if ss == nil || ss.csrf == "" || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(ss.csrf)) != 1 {
		return errorf(http.StatusForbidden, "the form's CSRF token is missing or wrong: reload the page and submit again")
	}
	return nil
}

// safeNext is where a sign-in goes on: a path of this site, else "/".
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

// signinForm shows the sign-in form, with a fresh CSRF token in a cookie
// and in the form (a forged sign-in, from another site, lacks the pair).
func (s *Server) signinForm(w http.ResponseWriter, r *http.Request, msg string, status int) {
	tok := randomID()
	setCookie(w, r, SigninCookie, tok, 600)
	s.renderPage(w, r, status, "signin", nil, map[string]any{"Next": safeNext(r.FormValue("next")), "CSRF": tok, "Message": msg,
		"Remote": s.cfg.Remote})
}

// signin takes the sign-in form: a valid token (any scope) starts a
// session; the form's CSRF token must match its cookie.
func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet {
		s.signinForm(w, r, "", http.StatusOK)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.writePageError(w, r, http.StatusBadRequest, "the form: "+err.Error())
		return
	}
	c, err := r.Cookie(SigninCookie)
	got := r.PostFormValue(csrfField)
	if err != nil || got == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(got)) != 1 {
		s.writePageError(w, r, http.StatusForbidden, "the sign-in form's CSRF token is missing or wrong: open /signin and submit again")
		return
	}
	t, err := s.db.Authenticate(r.Context(), strings.TrimSpace(r.PostFormValue("token")), s.cfg.Now().UnixMilli())
	if err != nil {
		if errors.Is(err, store.ErrNoToken) || errors.Is(err, store.ErrBadToken) || errors.Is(err, store.ErrTokenExpired) || errors.Is(err, store.ErrTokenRevoked) {
			s.signinForm(w, r, err.Error(), http.StatusUnauthorized)
			return
		}
		s.writePageError(w, r, http.StatusInternalServerError, "internal error: "+err.Error())
		return
	}
	if old := s.sessionOf(r); old != nil {
		s.endSession(old) // a new id at sign-in: no session fixation
	}
	ss := s.newSession(t, s.cfg.Now().UnixMilli())
	setCookie(w, r, SessionCookie, ss.id, 0)
	setCookie(w, r, SigninCookie, "", -1)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// signout ends the session (a form with its CSRF token).
func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	ss := s.sessionOf(r)
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := checkCSRF(r, ss); err != nil {
		s.writePageError(w, r, http.StatusForbidden, err.Error())
		return
	}
	s.endSession(ss)
	setCookie(w, r, SessionCookie, "", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
