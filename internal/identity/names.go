package identity

import (
	"context"
	"fmt"

	"github.com/congso/congso/internal/actor"
	"github.com/congso/congso/internal/db"
)

// DisplayNames returns the names of the officials and machine accounts among
// ids, for printed forms and timelines. Citizens' and organisations' names are
// never returned: they are personal data, read only with an audited Get.
func (s *Service) DisplayNames(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	var args []any
	seen := map[string]bool{}
	for _, id := range ids {
		if id != "" && !seen[id] {
			seen[id] = true
			args = append(args, id)
		}
	}
	if len(args) == 0 {
		return out, nil
	}
	args = append(args, string(actor.Official), string(actor.Machine))
	rows, err := s.db.Query(ctx, "SELECT id, display_name FROM users WHERE id IN ("+db.Placeholders(len(args)-2)+") AND kind IN (?, ?)", args...)
	if err != nil {
		return nil, fmt.Errorf("read display names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, fmt.Errorf("read display name: %w", err)
		}
		out[id] = name
	}
	return out, rows.Err()
}
