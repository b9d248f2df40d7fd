package main

import (
	"log"
	"net/http"
)

func logUnhandled(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Printf("UNHANDLED %s %s", r.Method, r.URL.Path)
		next.ServeHTTP(w, r)
	})
}
