// Package docs holds the man pages; its test checks them.
package docs
