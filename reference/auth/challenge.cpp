#include "reference/auth/challenge.h"

#include "reference/auth/docker_scope.h"

namespace outpost::auth {

std::string challenge_scope(const RouteNeeds& route) {
  switch (route.access) {
    case RouteAccess::ContentRead:
    case RouteAccess::ContentOrMetadataRead:
      return repository_scope(route.repository, kContentRead);
    case RouteAccess::ContentWrite: {
      std::string scope = repository_scope(route.repository, kContentRead | kContentWrite);
      // Several scopes go space-separated in one parameter, as Docker clients send them back.
      if (route.mount_source) scope += " " + repository_scope(*route.mount_source, kContentRead);
      return scope;
    }
    case RouteAccess::ContentDelete:
      return repository_scope(route.repository, kContentDelete);
    case RouteAccess::MetadataWrite:
      return repository_scope(route.repository, kMetadataWrite);
    case RouteAccess::Catalog:
      return std::string(kCatalogScope);
    case RouteAccess::AnyCredentials:
    case RouteAccess::None:
    case RouteAccess::Metrics:
    case RouteAccess::Management:
    case RouteAccess::Gateway:
      return "";
  }
  return "";
}

}  // namespace outpost::auth
